"""Turns supervisor events into journal rows and the live state: the store task's synchronous core.

:meth:`Recorder.handle` is called in the Trio loop for each record and only touches memory: it
updates :class:`~appliance.store.statefile.LiveState` and the price array at once (the state file
is rewritten right after, by :meth:`publish`) and queues journal rows in a batch. :meth:`commit`
writes the batch in one transaction (run in a worker thread by the task); it is durable
(``synchronous=FULL``) when the batch holds a mode change, a flush request or (live mode) a trade.
A trade or mode change is committed at once and alone (:meth:`Batch.take_urgent`): the bulk rows
(blocks, reserves, opportunities, intel, state) wait for the periodic commit, so a busy market's
trades do not rewrite the bulk tables' last pages once per trade.

Dispatch is by ``isinstance`` on the record's class, as everywhere else (one ``_on_<Event>`` method
per class, listed in :meth:`Recorder.handle`); a record type this code does not know is skipped,
not fatal (events are added over time).
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from appliance.config.urls import redact_url
from appliance.events import (
    AlertRaised,
    BlockSeen,
    Candidate,
    CandidatesFound,
    KillSwitchPressed,
    KillSwitchRearmed,
    LedsChanged,
    MarketIntelSeen,
    ModeChanged,
    OrderApproved,
    OrderRejected,
    PoolsDiscovered,
    RelayHealthChanged,
    ReorgDetected,
    ReservesUpdated,
    RiskUpdated,
    RpcHealthChanged,
    SwapsSeen,
    TokenDenied,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.store.intel_queries import (
    PRUNE_CHUNK,
    add_intel,
    add_swaps,
    prune_swaps,
    rollback_swaps,
)
from appliance.store.journal import Journal, PoolRow, ReserveRow
from appliance.store.messages import Flush, SaveState, SystemSampled, WriteAhead
from appliance.store.statefile import LiveState, RpcSlot, StateWriter

__all__ = ["Batch", "Recorder"]

log = logging.getLogger(__name__)

MEMORY = 8192  # recent candidates / orders / block timestamps remembered for linking rows
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
SWAPS_RETENTION_BLOCKS = 43_200  # storage.swaps_retention_blocks' default: a day at 2 s blocks
SWAPS_COMMIT_S = 60.0  # storage.swaps_commit_interval_s' default


@dataclass
class Batch:
    """Journal rows waiting for the next commit."""

    rollback_to: int | None = None
    blocks: list[tuple[Any, float]] = field(default_factory=list)
    tokens: list[Any] = field(default_factory=list)
    pools: list[PoolRow] = field(default_factory=list)
    denied: list[tuple[str, str, float]] = field(default_factory=list)
    reserves: list[ReserveRow] = field(default_factory=list)
    opportunities: dict[int, dict[str, Any]] = field(default_factory=dict)
    decisions: list[tuple[str, str, str, str | None, int]] = field(default_factory=list)
    trades: list[tuple[Any, int | None, float]] = field(default_factory=list)
    modes: list[Any] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)
    intel: list[tuple[Any, float]] = field(default_factory=list)  # MarketIntelSeen, at
    swaps: list[tuple[Any, tuple[int, ...]]] = field(default_factory=list)  # SwapsSeen, pool ids
    states: dict[str, Any] = field(default_factory=dict)
    waiters: list[Any] = field(default_factory=list)  # WriteAhead / Flush: set after commit
    urgent: bool = False  # commit at once (trades, mode changes); the bulk rows wait their turn
    durable: bool = False  # fsync at COMMIT (synchronous=FULL)
    whole: bool = False  # a Flush: the bulk rows too, at once

    def take_urgent(self) -> Batch:
        """The rows that cannot wait (trades, mode changes, waiters; and the rare rows readers
        need to read the others: tokens, pools, denied tokens) as a batch of their own;
        the bulk rows stay here for the periodic commit (each commit that touches a table
        rewrites its last pages: an immediate commit per trade must not carry them)."""
        taken = Batch(
            tokens=self.tokens,
            pools=self.pools,
            denied=self.denied,
            trades=self.trades,
            modes=self.modes,
            waiters=self.waiters,
            urgent=self.urgent,
            durable=self.durable,
        )
        self.tokens, self.pools, self.denied = [], [], []
        self.trades, self.modes, self.waiters = [], [], []
        self.urgent = self.durable = False
        return taken

    def __len__(self) -> int:
        return (
            len(self.blocks)
            + len(self.tokens)
            + len(self.pools)
            + len(self.denied)
            + len(self.reserves)
            + len(self.opportunities)
            + len(self.decisions)
            + len(self.trades)
            + len(self.modes)
            + len(self.alerts)
            + len(self.intel)
            + len(self.swaps)
            + len(self.states)
            + len(self.waiters)
            + (self.rollback_to is not None)
        )


class Recorder:
    """Owns the journal connection and the state writer. One owner: the store task."""

    def __init__(
        self,
        journal: Journal,
        state: StateWriter,
        *,
        live: bool = False,
        swaps_retention_blocks: int = SWAPS_RETENTION_BLOCKS,
        swaps_commit_s: float = SWAPS_COMMIT_S,
        intel_commit_s: float = 10.0,
    ) -> None:
        self.journal = journal
        self.swaps_retention_blocks = swaps_retention_blocks
        # Swaps are held here and join a batch at most every swaps_commit_s: each commit that
        # touches the table rewrites its last pages (WAL frames, then the checkpoint), and
        # trades commit at once, many times a minute in a busy market. Not safety data: a
        # power cut loses at most that much of it.
        self.swaps_commit_s = swaps_commit_s
        self._swaps_held: list[tuple[Any, tuple[int, ...]]] = []
        self._swaps_since: float | None = None
        # arbitrages likewise skip the trades' immediate commits (the regular ones write them;
        # one held longer than intel_commit_s, the commit interval, rides the next commit)
        self.intel_commit_s = intel_commit_s
        self._intel_held: list[tuple[Any, float]] = []
        self.state_writer = state
        self.batch = Batch()
        self.live = LiveState(live=live, mode=journal.last_mode())
        self.dirty = True
        self._pool_ids = journal.pool_ids()
        self._pool_tokens: dict[int, tuple[str | None, str | None]] = {
            pid: (t0, t1)
            for pid, t0, t1 in journal.conn.execute("SELECT id, token0, token1 FROM pools")
        }
        self._decimals = journal.token_decimals()
        self._reserves = journal.latest_reserves()
        self._relay_breakers: dict[str, str] = {}  # "relay:<host>" -> open (skipped) | closed
        self._next_opportunity = journal.max_opportunity_id() + 1
        self._candidates: OrderedDict[Candidate, int] = OrderedDict()
        self._orders: OrderedDict[str, int] = OrderedDict()
        # the last written-ahead row of each order: the executor reports that same row again
        # once it is durable (a final status: write-ahead, then emit), and a repeat of a row
        # the journal already holds needs no second commit
        self._ahead: OrderedDict[str, Any] = OrderedDict()
        self._trade_status: OrderedDict[str, str] = OrderedDict(
            (t["order_id"], t["status"]) for t in journal.pending_trades()
        )
        counts = journal.decision_counts()
        self.live.opportunities = sum(counts.values())
        self.live.approved, self.live.rejected = counts["approved"], counts["rejected"]
        self.live.trades = journal.trade_counts()
        self.live.n_pools = len(self._pool_ids)
        self.live.n_tokens = len(self._decimals)
        self.live.n_denied = len(journal.denied_tokens())
        self.live.kill_switch = self.live.mode == Mode.EMERGENCY
        last = journal.last_block()
        # Reserves and opportunities of blocks journaled before a restart are not stored again
        # (a head follower may replay a few blocks); blocks and trades are idempotent upserts.
        self._resume_after = -1 if last is None else last
        if last is not None:
            row = journal.conn.execute(
                "SELECT timestamp FROM blocks WHERE number = ?", (last,)
            ).fetchone()
            self.live.head_block, self.live.head_timestamp = last, float(row[0])
        prices = state.prices
        prices.extend([math.nan] * (max(self._pool_ids.values(), default=0) - len(prices)))
        for pid, (r0, r1) in self._reserves.items():
            self._set_price(pid, r0, r1)

    # ------------------------------------------------------------------------------- intake
    def handle(self, record: Any, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if isinstance(record, BlockSeen):
            self._on_BlockSeen(record, now)
        elif isinstance(record, ReservesUpdated):
            self._on_ReservesUpdated(record, now)
        elif isinstance(record, ReorgDetected):
            self._on_ReorgDetected(record, now)
        elif isinstance(record, PoolsDiscovered):
            self._on_PoolsDiscovered(record, now)
        elif isinstance(record, TokenDenied):
            self._on_TokenDenied(record, now)
        elif isinstance(record, MarketIntelSeen):
            self._on_MarketIntelSeen(record, now)
        elif isinstance(record, SwapsSeen):
            self._on_SwapsSeen(record, now)
        elif isinstance(record, CandidatesFound):
            self._on_CandidatesFound(record, now)
        elif isinstance(record, OrderApproved):
            self._on_OrderApproved(record, now)
        elif isinstance(record, OrderRejected):
            self._on_OrderRejected(record, now)
        elif isinstance(record, TradeUpdated):
            self._on_TradeUpdated(record, now)
        elif isinstance(record, WriteAhead):
            self._on_WriteAhead(record, now)
        elif isinstance(record, Flush):
            self._on_Flush(record, now)
        elif isinstance(record, ModeChanged):
            self._on_ModeChanged(record, now)
        elif isinstance(record, KillSwitchPressed):
            self._on_KillSwitchPressed(record, now)
        elif isinstance(record, KillSwitchRearmed):
            self._on_KillSwitchRearmed(record, now)
        elif isinstance(record, AlertRaised):
            self._on_AlertRaised(record, now)
        elif isinstance(record, RpcHealthChanged):
            self._on_RpcHealthChanged(record, now)
        elif isinstance(record, LedsChanged):
            self._on_LedsChanged(record, now)
        elif isinstance(record, RiskUpdated):
            self._on_RiskUpdated(record, now)
        elif isinstance(record, SaveState):
            self._on_SaveState(record, now)
        elif isinstance(record, SystemSampled):
            self._on_SystemSampled(record, now)
        elif isinstance(record, RelayHealthChanged):
            self._on_RelayHealthChanged(record, now)
        else:
            log.debug("store: skipping unknown record %s", type(record).__name__)

    def _on_BlockSeen(self, b: Any, now: float) -> None:
        self.batch.blocks.append((b, now))
        live = self.live
        if live.head_block is None or b.number >= live.head_block:
            live.head_block, live.head_timestamp, live.head_seen_at = b.number, b.timestamp, now
        self.dirty = True

    def _on_ReorgDetected(self, r: Any, now: float) -> None:
        ancestor = r.common_ancestor
        self._resume_after = min(self._resume_after, ancestor)
        batch = self.batch
        batch.rollback_to = (
            ancestor if batch.rollback_to is None else min(batch.rollback_to, ancestor)
        )
        batch.blocks = [(b, t) for b, t in batch.blocks if b.number <= ancestor]
        batch.reserves = [row for row in batch.reserves if row[0] <= ancestor]
        batch.intel = [(m, t) for m, t in batch.intel if m.block <= ancestor]
        batch.swaps = [(s, ids) for s, ids in batch.swaps if s.block <= ancestor]
        self._swaps_held = [(s, ids) for s, ids in self._swaps_held if s.block <= ancestor]
        self._intel_held = [(m, t) for m, t in self._intel_held if m.block <= ancestor]
        self._reserves.clear()  # the next reserves of every pool are stored again
        self.live.head_block = None
        self._on_BlockSeen(r.new_head, now)

    def _on_PoolsDiscovered(self, p: Any, now: float) -> None:
        self.batch.tokens.extend(p.tokens)
        for t in p.tokens:
            self._decimals[t.address] = t.decimals
        for pool in p.pools:
            pid = self._pool_id(pool.address, placeholder=False)
            self._pool_tokens[pid] = (pool.token0, pool.token1)
            self.batch.pools.append(
                (pid, pool.address, pool.dex, pool.token0, pool.token1, pool.fee_bps, pool.kind)
            )
        # committed at once (rare rows): the screen and `status` name tokens from the journal
        self.batch.urgent = True
        self.live.n_pools, self.live.n_tokens = len(self._pool_ids), len(self._decimals)
        self.dirty = True

    def _on_TokenDenied(self, t: Any, now: float) -> None:
        self.batch.denied.append((t.token, t.reason, now))
        self.batch.urgent = True  # rare, and a reader must know it at once
        self.live.n_denied += 1
        self.dirty = True

    def _on_ReservesUpdated(self, r: Any, now: float) -> None:
        replay = r.block <= self._resume_after  # already journaled before a restart
        rows = self.batch.reserves
        last = self._reserves
        for address, pair in r.reserves.items():
            pid = self._pool_ids.get(address) or self._pool_id(address, placeholder=True)
            if last.get(pid) == pair:
                continue
            last[pid] = pair
            if not replay:
                rows.append((r.block, pid, str(pair[0]), str(pair[1])))
            self._set_price(pid, pair[0], pair[1])
        self.dirty = True

    def _on_MarketIntelSeen(self, m: Any, now: float) -> None:
        if m.arbitrages and m.block > self._resume_after:
            self._intel_held.append((m, now))

    def _on_SwapsSeen(self, s: Any, now: float) -> None:
        if s.swaps and s.block > self._resume_after and self.swaps_retention_blocks > 0:
            ids = tuple(
                self._pool_ids.get(x.pool) or self._pool_id(x.pool, placeholder=True)
                for x in s.swaps
            )
            self._swaps_held.append((s, ids))
            if self._swaps_since is None:
                self._swaps_since = now
            if now - self._swaps_since >= self.swaps_commit_s:
                self.release_swaps()

    def release_swaps(self) -> None:
        """Move the held swaps and arbitrages into the batch (the next commit writes them); the
        store task calls it before its last commit."""
        self.batch.swaps.extend(self._swaps_held)
        self._swaps_held, self._swaps_since = [], None
        self.batch.intel.extend(self._intel_held)
        self._intel_held = []

    def _release_due(self, now: float) -> None:
        if self._swaps_since is not None and now - self._swaps_since >= self.swaps_commit_s:
            self.batch.swaps.extend(self._swaps_held)
            self._swaps_held, self._swaps_since = [], None
        if self._intel_held:
            self.batch.intel.extend(self._intel_held)
            self._intel_held = []

    def _on_CandidatesFound(self, c: Any, now: float) -> None:
        for candidate in c.candidates:
            self._opportunity(candidate, now)

    def _on_OrderApproved(self, o: Any, now: float) -> None:
        oid = self._opportunity(o.candidate, now)
        self._decide(oid, "approved", "", "", o.order_id)
        self.live.approved += 1
        if oid is not None:
            _remember(self._orders, o.order_id, oid)

    def _on_OrderRejected(self, o: Any, now: float) -> None:
        oid = self._opportunity(o.candidate, now)
        self._decide(oid, "rejected", o.reason, o.detail, None)
        self.live.rejected += 1

    def _on_TradeUpdated(self, t: Any, now: float) -> None:
        if self._ahead.get(t.order_id) == t:  # its write-ahead committed this very row
            del self._ahead[t.order_id]
            return
        self._add_trade(t, now)

    def _add_trade(self, t: Any, now: float) -> None:
        self.batch.trades.append((t, self._orders.get(t.order_id), now))
        # trades are committed at once (status counts the journal), so a kill -9 right after
        # the executor's log line loses none; fsynced in live mode (a row is durable before
        # its transaction is broadcast). Paper rows broadcast nothing: no fsync (like the bulk
        # rows, a power cut may lose those not yet synced by a checkpoint or a durable commit)
        self.batch.urgent = True
        if self.live.live:
            self.batch.durable = True
        status = str(t.status)
        old = self._trade_status.get(t.order_id)
        if old is None:  # not seen lately (a restart): the journal knows
            known = self.journal.trade(t.order_id)
            old = None if known is None else known["status"]
        counts = self.live.trades
        if old != status:
            if old is not None:
                counts[old] = max(0, counts.get(old, 0) - 1)
            counts[status] = counts.get(status, 0) + 1
        _remember(self._trade_status, t.order_id, status)
        self.dirty = True

    def _on_WriteAhead(self, w: Any, now: float) -> None:
        self._add_trade(w.trade, now)
        _remember(self._ahead, w.trade.order_id, w.trade)
        self.batch.waiters.append(w)

    def _on_Flush(self, f: Any, now: float) -> None:
        self.batch.waiters.append(f)
        self.batch.urgent = self.batch.durable = self.batch.whole = True

    def _on_ModeChanged(self, m: Any, now: float) -> None:
        self.batch.modes.append(m)
        self.batch.urgent = self.batch.durable = True
        self.live.mode = m.new
        if m.new == Mode.EMERGENCY:
            self.live.kill_switch = True
        self.dirty = True

    def _on_KillSwitchPressed(self, k: Any, now: float) -> None:
        self.live.kill_switch = True
        self.dirty = True

    def _on_KillSwitchRearmed(self, k: Any, now: float) -> None:
        self.live.kill_switch = False
        self.dirty = True

    def _on_AlertRaised(self, a: Any, now: float) -> None:
        self.batch.alerts.append(a)
        live = self.live
        live.last_alert_at, live.last_alert_priority, live.last_alert = (
            a.at,
            int(a.priority),
            a.text,
        )
        self.dirty = True

    def _on_RpcHealthChanged(self, r: Any, now: float) -> None:
        self.live.rpc = [
            RpcSlot(
                e.host,
                e.healthy,
                float(e.latency_ms),
                e.lagging,
                e.breaker,
                e.head,
                getattr(e, "stream", ""),
                credential_free(getattr(e, "reason", "")),
            )
            for e in r.endpoints
        ]
        self.dirty = True

    def _on_LedsChanged(self, leds: Any, now: float) -> None:
        self.live.leds = {"green": leds.green, "yellow": leds.yellow, "red": leds.red}
        self.dirty = True

    def _on_RiskUpdated(self, r: Any, now: float) -> None:
        live = self.live
        live.breakers = {**dict(r.breakers), **self._relay_breakers}
        live.pnl_today, live.pnl_session, live.equity_peak = (
            r.pnl_today,
            r.pnl_session,
            r.equity_peak,
        )
        live.var95, live.cvar95, live.var99, live.cvar99 = r.var95, r.cvar95, r.var99, r.cvar99
        live.regime, live.size_multiplier = r.regime, r.size_multiplier
        self.batch.states["risk.last"] = {
            "breakers": dict(r.breakers),
            "pnl_today": str(r.pnl_today),
            "pnl_session": str(r.pnl_session),
            "equity_peak": str(r.equity_peak),
            "at": now,
        }
        self.dirty = True

    def _on_RelayHealthChanged(self, r: Any, now: float) -> None:
        """Relays as breakers on the screen (open = skipped) and their counts in the journal."""
        self._relay_breakers = {
            f"relay:{x.host}": "open" if x.skipped else "closed" for x in r.relays
        }
        self.live.breakers = {
            **{k: v for k, v in self.live.breakers.items() if not k.startswith("relay:")},
            **self._relay_breakers,
        }
        self.batch.states["relays.last"] = {
            x.host: {
                "sent": x.sent,
                "ok": x.ok,
                "unavailable": x.unavailable,
                "malformed": x.malformed,
                "refused": x.refused,
                "skipped": x.skipped,
                "last_error": x.last_error,
            }
            for x in r.relays
        }
        self.batch.states["relays.last"]["at"] = now
        self.dirty = True

    def _on_SaveState(self, s: Any, now: float) -> None:
        self.batch.states[s.key] = s.value

    def _on_SystemSampled(self, s: Any, now: float) -> None:
        live = self.live
        live.cpu_pct, live.rss_bytes = s.cpu_pct, s.rss_bytes
        live.temp_c = math.nan if s.temp_c is None else s.temp_c
        self.dirty = True

    # ------------------------------------------------------------------------------ helpers
    def _pool_id(self, address: str, *, placeholder: bool) -> int:
        pid = self._pool_ids.get(address)
        if pid is None:
            pid = len(self._pool_ids) + 1
            while pid in self._pool_tokens:
                pid += 1
            self._pool_ids[address] = pid
            self._pool_tokens[pid] = (None, None)
            if placeholder:
                self.batch.pools.append((pid, address, "", None, None, None))
            prices = self.state_writer.prices
            if len(prices) < pid:
                prices.extend([math.nan] * (pid - len(prices)))
            self.live.n_pools = len(self._pool_ids)
        return pid

    def _set_price(self, pid: int, r0: int, r1: int) -> None:
        prices = self.state_writer.prices
        if len(prices) < pid:
            prices.extend([math.nan] * (pid - len(prices)))
        t0, t1 = self._pool_tokens.get(pid, (None, None))
        d0, d1 = self._decimals.get(t0), self._decimals.get(t1)
        if r0 > 0 and d0 is not None and d1 is not None:
            prices[pid - 1] = (r1 / 10**d1) / (r0 / 10**d0)
        else:
            prices[pid - 1] = math.nan

    def _opportunity(self, candidate: Candidate, now: float) -> int | None:
        """The candidate's row id (a new row); None for a replay of a journaled block."""
        oid = self._candidates.get(candidate)
        if oid is not None or candidate.block <= self._resume_after:
            return oid
        oid = self._next_opportunity
        self._next_opportunity += 1
        _remember(self._candidates, candidate, oid)
        self.batch.opportunities[oid] = {
            "id": oid,
            "at": now,
            "block": candidate.block,
            "base_token": candidate.base_token,
            "path": json.dumps(list(candidate.pools)),
            "amount_in": str(candidate.amount_in),
            "amount_out": str(candidate.amount_out),
            "gross_profit": str(candidate.gross_profit),
            "net_profit": str(candidate.net_profit),
            "gas_estimate": candidate.gas_estimate,
            "gas_cost": str(candidate.gas_cost),
            "decision": "candidate",
            "reason": "",
            "detail": "",
            "order_id": None,
        }
        self.live.opportunities += 1
        self.dirty = True
        return oid

    def _decide(
        self, oid: int | None, decision: str, reason: str, detail: str, order_id: str | None
    ) -> None:
        if oid is None:
            return
        row = self.batch.opportunities.get(oid)
        if row is not None:
            row.update(decision=decision, reason=reason, detail=detail, order_id=order_id)
        else:
            self.batch.decisions.append((decision, reason, detail, order_id, oid))
        self.dirty = True

    def _commit_swaps(self, swaps: list[tuple[Any, tuple[int, ...]]]) -> None:
        """Append the swaps, then prune a bounded chunk of those past the retention."""
        conn = self.journal.conn
        added = add_swaps(conn, swaps)
        head = max(event.block for event, _ in swaps)
        prune_swaps(
            conn,
            before_block=head - self.swaps_retention_blocks + 1,
            limit=max(PRUNE_CHUNK, 2 * added),
        )

    # ------------------------------------------------------------------------------- output
    def publish(self, now: float | None = None) -> None:
        """Rewrite the state file (seqlock) with the live picture."""
        self.state_writer.publish(self.live, now=now)
        self.dirty = False

    def forget_trade(self, batch: Batch, trade: Any) -> None:
        """Drop a refused write-ahead row from ``batch`` (its transaction was never sent)."""
        batch.trades = [row for row in batch.trades if row[0] is not trade]
        if self._ahead.get(trade.order_id) is trade:  # not journaled: its repeat is a new row
            del self._ahead[trade.order_id]
        status = str(trade.status)
        if self._trade_status.get(trade.order_id) == status:
            del self._trade_status[trade.order_id]
            self.live.trades[status] = max(0, self.live.trades.get(status, 0) - 1)
            self.dirty = True

    def take_batch(self, now: float | None = None, *, urgent_only: bool = False) -> Batch:
        """The rows to commit now: all of them, or (``urgent_only``: the periodic commit is not
        due) only the trades, mode changes and waiters (:meth:`Batch.take_urgent`)."""
        if urgent_only and not self.batch.whole:  # a Flush takes everything
            return self.batch.take_urgent()
        self._release_due(time.time() if now is None else now)
        batch, self.batch = self.batch, Batch()
        return batch

    def commit(self, batch: Batch) -> None:
        """Write ``batch`` in one transaction. Runs in a worker thread; touches only the journal."""
        j = self.journal
        with j.transaction(durable=batch.durable):
            if batch.rollback_to is not None:
                j.rollback_above(batch.rollback_to)
                rollback_swaps(j.conn, batch.rollback_to)
            if batch.tokens:
                j.upsert_tokens(batch.tokens)
            if batch.pools:
                j.upsert_pools(batch.pools)
            for token, reason, at in batch.denied:
                j.deny_token(token, reason, at)
            if batch.blocks:
                j.add_blocks(batch.blocks)
            if batch.reserves:
                j.add_reserves(batch.reserves)
            if batch.opportunities:
                j.add_opportunities(list(batch.opportunities.values()))
            if batch.decisions:
                j.set_decisions(batch.decisions)
            for trade, opportunity_id, at in batch.trades:
                j.upsert_trade(trade, opportunity_id=opportunity_id, now=at)
            for mode in batch.modes:
                j.add_mode_change(mode)
            for alert in batch.alerts:
                j.add_alert(alert)
            for event, at in batch.intel:
                add_intel(j.conn, event, at)
            if batch.swaps:
                self._commit_swaps(batch.swaps)
            for key, value in batch.states.items():
                j.save_state(key, value)


def credential_free(text: str) -> str:
    """``text`` with every URL in it redacted (an endpoint's reason may quote one)."""
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def _remember(memory: OrderedDict, key: Any, value: Any) -> None:
    memory[key] = value
    if len(memory) > MEMORY:
        memory.popitem(last=False)
