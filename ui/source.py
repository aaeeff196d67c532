"""Read-only data access for the status screen: the state file and the journal, nothing else.

Both are opened through the store's read API (:class:`appliance.store.statefile.StateReader`,
mapped ``ACCESS_READ``; :class:`appliance.store.reader.JournalReader`, ``file:...?mode=ro``), so
this process cannot write either. :meth:`StatusSource.load` is synchronous and runs in the app's
worker thread; it never raises for missing, stale or half-written data: that is shown on the
screen (:class:`~ui.status.Liveness`), never hidden.

Why the clock is injected: the banner's "NOT LIVE" and every age on screen depend on *now*; the
snapshot tests freeze it so the pictures are deterministic.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.safety import LATCH_NAME
from appliance.store.errors import StoreError
from appliance.store.queries import opportunity_rate
from appliance.store.reader import JournalReader
from appliance.store.statefile import StateReader, StateSnapshot
from appliance.sysinfo import disk_free_bytes, system_uptime_s
from appliance.units import short_hash
from ui.market import MarketSource, MarketView
from ui.status import (
    AlertRow,
    Endpoint,
    Liveness,
    OpportunityRow,
    RiskView,
    Status,
    SystemView,
    TradeRow,
)

__all__ = [
    "LATENCY_EVERY_S",
    "LATENCY_SAMPLES",
    "RATE_BUCKETS",
    "RATE_BUCKET_S",
    "STALE_AFTER_S",
    "OsFacts",
    "StatusSource",
    "os_facts",
]

STALE_AFTER_S = 5.0  # the store task publishes at least every second (HEARTBEAT_S)
RATE_BUCKET_S, RATE_BUCKETS = 60.0, 30  # opportunity-rate sparkline: per minute, 30 minutes
LATENCY_EVERY_S, LATENCY_SAMPLES = 2.0, 120  # latency sparkline: a sample per 2 s, 4 minutes
PRIORITIES = {"0": "info", "1": "warning", "2": "critical"}


@dataclass(frozen=True, slots=True)
class OsFacts:
    disk_free_bytes: int | None
    uptime_s: float | None


def os_facts(data_dir: Path) -> OsFacts:
    """What the screen reads from the OS itself (the state file does not carry it)."""
    free = disk_free_bytes(data_dir)
    return OsFacts(None if free is None else int(float(f"{free:.3g}")), _seconds(system_uptime_s()))


def _seconds(value: float | None) -> float | None:
    """Whole seconds: what the screen shows (finer values would only cause redraws)."""
    return None if value is None else float(math.floor(value))


@dataclass
class _JournalPart:
    """The journal's share of a Status, cached between (slower) journal refreshes."""

    loaded_at: float = -math.inf
    mode: Any = None
    head_block: int | None = None
    head_timestamp: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)
    trade_counts: dict[str, int] = field(default_factory=dict)
    pnl_today: dict[str, int] = field(default_factory=dict)
    pnl_7d: dict[str, int] = field(default_factory=dict)
    equity_live: tuple[int, ...] = ()
    equity_paper: tuple[int, ...] = ()
    symbol: str = ""
    decimals: int = 18
    opportunities: tuple[OpportunityRow, ...] = ()
    trades: tuple[TradeRow, ...] = ()
    alerts: tuple[AlertRow, ...] = ()
    exposure: tuple[tuple[str, int, int], ...] = ()
    pending: int = 0
    opportunity_rate: tuple[int, ...] = ()
    market: MarketView = field(default_factory=MarketView)


class StatusSource:
    """Builds one :class:`Status` per call of :meth:`load` (one owner: the refresh worker).

    Args:
        state_path: the state file (``<runtime_dir>/state.bin``).
        journal_path: the journal (``<data_dir>/journal.sqlite``); the kill-switch latch file is
            looked for beside it.
        clock: unix time now (frozen in tests).
        stale_after_s: a state file not updated for longer is shown as NOT LIVE.
        journal_every_s: the journal is queried at most this often (the state file every time).
        facts: the OS facts (disk free, uptime); injectable for deterministic tests.
        ref_token: the token P&L is counted and shown in (``strategy.native_token or
            tokens.base[0]``); default the one the store task recorded in the journal.
    """

    def __init__(
        self,
        state_path: Path | str,
        journal_path: Path | str,
        *,
        clock: Callable[[], float] = time.time,
        stale_after_s: float = STALE_AFTER_S,
        journal_every_s: float = 1.0,
        reset_hour_utc: int = 0,
        daily_loss_limit: int | None = None,
        rearm_hold_s: float = 5.0,
        paper: bool | None = None,
        rows: int = 20,
        facts: Callable[[], OsFacts] | None = None,
        ref_token: str | None = None,
    ) -> None:
        self.ref_token = ref_token
        self.state_path = Path(state_path)
        self.journal_path = Path(journal_path)
        self.clock = clock
        self.stale_after_s = stale_after_s
        self.journal_every_s = journal_every_s
        self.reset_hour_utc = reset_hour_utc
        self.daily_loss_limit = daily_loss_limit
        self.rearm_hold_s = rearm_hold_s
        self.paper = paper
        self.rows = rows
        data_dir = self.journal_path.parent
        self.facts = facts if facts is not None else (lambda: os_facts(data_dir))
        self._state: StateReader | None = None
        self._journal: JournalReader | None = None
        self._part: _JournalPart | None = None
        self._latency: dict[str, deque[float]] = {}
        self._latency_at = -math.inf  # the state file's updated_at of the last sample
        self._market = MarketSource()

    # ---------------------------------------------------------------------------- sources
    def _snapshot(self, problems: list[str]) -> StateSnapshot | None:
        try:
            if self._state is None:
                self._state = StateReader(self.state_path)
            return self._state.snapshot(prices=False)
        except StoreError as exc:
            problems.append(str(exc))
            self._close_state()
            return None

    def _journal_part(self, now: float, problems: list[str]) -> _JournalPart | None:
        tick = time.monotonic()
        part = self._part
        if part is not None and tick - part.loaded_at < self.journal_every_s:
            return part
        try:
            if self._journal is None:
                self._journal = JournalReader(self.journal_path)
            part = _read_journal(self._journal, now, self.reset_hour_utc, self.rows, self.ref_token)
            ref = self.ref_token or self._journal.reference_token()
            part.market = self._market.read(self._journal.conn, now, ref)
        except (StoreError, sqlite3.Error) as exc:
            problems.append(str(exc))
            self._close_journal()
            return self._part  # the last good part, if any (shown as not live anyway when stale)
        part.loaded_at = tick
        self._part = part
        return part

    def _latency_history(
        self, snap: StateSnapshot | None
    ) -> tuple[tuple[str, tuple[float, ...]], ...]:
        """Each endpoint's latency, one sample per new state-file publication (at most every
        LATENCY_EVERY_S of the writer's clock): the screen's own short history, since neither
        the journal nor the state file keeps one. Endpoints no longer reported are dropped."""
        if snap is not None and snap.updated_at - self._latency_at >= LATENCY_EVERY_S:
            self._latency_at = snap.updated_at
            hosts = {r.host for r in snap.rpc}
            for host in [h for h in self._latency if h not in hosts]:
                del self._latency[host]
            for r in snap.rpc:
                if not math.isnan(r.latency_ms):
                    history = self._latency.setdefault(r.host, deque(maxlen=LATENCY_SAMPLES))
                    history.append(float(r.latency_ms))
        return tuple((host, tuple(values)) for host, values in self._latency.items())

    # ------------------------------------------------------------------------------- load
    def load(self) -> Status:
        now = self.clock()
        problems: list[str] = []
        snap = self._snapshot(problems)
        part = self._journal_part(now, problems)
        latched = (self.journal_path.parent / LATCH_NAME).exists()
        facts = self.facts()

        if snap is None and part is None:
            liveness, why = Liveness.NO_DATA, "NO DATA: no state file and no journal"
        elif snap is None:
            liveness, why = Liveness.NOT_RUNNING, "SUPERVISOR NOT RUNNING (no state file)"
        elif not snap.writer_alive():
            liveness, why = Liveness.NOT_RUNNING, "SUPERVISOR NOT RUNNING (its process is gone)"
        elif snap.age_s(now) > self.stale_after_s:
            liveness = Liveness.STALE
            why = f"NOT LIVE: no update for {int(snap.age_s(now))}s (supervisor hung?)"
        else:
            liveness, why = Liveness.LIVE, ""

        part = part or _JournalPart()
        paper = self.paper if self.paper is not None else (not snap.live if snap else True)
        key = "paper" if paper else "live"
        pnl_today = part.pnl_today.get(key) if part.pnl_today else None
        if pnl_today is None and snap is not None:
            pnl_today = snap.pnl_today
        pnl_7d = part.pnl_7d.get(key) if part.pnl_7d else None

        if snap is not None:
            mode = snap.mode if snap.mode is not None else part.mode
            head_block = snap.head_block
            head_age = _seconds(snap.head_age_s(now))
            endpoints = tuple(
                Endpoint(
                    r.host,
                    r.healthy,
                    r.latency_ms,
                    r.lagging,
                    r.breaker,
                    r.head,
                    r.stream,
                    r.reason,
                )
                for r in snap.rpc
            )
            breakers = dict(snap.breakers)
            fault = (
                snap.leds.get("red") in ("slow", "fast")
                or "open" in breakers.values()
                or bool(endpoints and not any(e.healthy for e in endpoints))
            )
            system = SystemView(
                cpu_pct=None if math.isnan(snap.cpu_pct) else snap.cpu_pct,
                rss_bytes=snap.rss_bytes or None,
                temp_c=None if math.isnan(snap.temp_c) else snap.temp_c,
                disk_free_bytes=facts.disk_free_bytes,
                uptime_s=facts.uptime_s,
                supervisor_uptime_s=_seconds(max(0.0, now - snap.started_at))
                if liveness.live
                else None,
            )
            risk_values = snap.risk
        else:
            mode, head_block, endpoints, breakers, fault = part.mode, part.head_block, (), {}, False
            head_age = (
                None
                if part.head_timestamp is None
                else _seconds(max(0.0, now - part.head_timestamp))
            )
            system = SystemView(disk_free_bytes=facts.disk_free_bytes, uptime_s=facts.uptime_s)
            risk_values = {}

        decisions = part.decisions
        risk = RiskView(
            breakers=breakers,
            daily_loss=max(0, -(pnl_today or 0)),
            daily_loss_limit=self.daily_loss_limit,
            var95=_figure(risk_values.get("var95", 0.0)),
            cvar95=_figure(risk_values.get("cvar95", 0.0)),
            var99=_figure(risk_values.get("var99", 0.0)),
            cvar99=_figure(risk_values.get("cvar99", 0.0)),
            regime=str(risk_values.get("regime", "-")),
            size_multiplier=float(risk_values.get("size_multiplier", 1.0)),
            exposure=part.exposure,
            pending=part.pending,
        )
        return Status(
            now=now,
            liveness=liveness,
            liveness_detail=why,
            mode=mode,
            fault=fault,
            kill_switch=latched or bool(snap and snap.kill_switch),
            rearm_hold_s=self.rearm_hold_s,
            paper=paper,
            pid=snap.pid if snap else None,
            head_block=head_block,
            head_age_s=head_age,
            updated_age_s=_seconds(snap.age_s(now)) if snap else None,
            endpoints=endpoints,
            n_pools=max(snap.n_pools if snap else 0, part.counts.get("pools", 0)),
            n_tokens=max(snap.n_tokens if snap else 0, part.counts.get("tokens", 0)),
            n_denied=max(snap.n_denied if snap else 0, part.counts.get("denied", 0)),
            opportunities_total=max(snap.opportunities if snap else 0, sum(decisions.values())),
            approved_total=max(snap.approved if snap else 0, decisions.get("approved", 0)),
            rejected_total=max(snap.rejected if snap else 0, decisions.get("rejected", 0)),
            trade_counts=dict(part.trade_counts or (snap.trades if snap else {})),
            pnl_today=pnl_today,
            pnl_7d=pnl_7d,
            equity=part.equity_paper if paper else part.equity_live,
            symbol=part.symbol,
            decimals=part.decimals,
            risk=risk,
            system=system,
            opportunities=part.opportunities,
            trades=part.trades,
            alerts=part.alerts,
            problems=tuple(problems),
            opportunity_rate=part.opportunity_rate,
            latency_history=self._latency_history(snap),
            market=part.market,
        )

    # ------------------------------------------------------------------------------ close
    def _close_state(self) -> None:
        if self._state is not None:
            self._state.close()
            self._state = None

    def _close_journal(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def close(self) -> None:
        self._close_state()
        self._close_journal()

    def __enter__(self) -> StatusSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -------------------------------------------------------------------------------- journal
def _read_journal(
    jr: JournalReader, now: float, reset_hour: int, rows: int, ref_token: str | None = None
) -> _JournalPart:
    """Everything the screen takes from the journal, in one read transaction.

    Amounts of opportunities and trades are in their own base token (each row carries its
    symbol and decimals); P&L is in the reference token (``ref_token``, else the one recorded).
    """
    conn = jr.conn
    conn.execute("BEGIN")  # one consistent view of the WAL for all the queries below
    try:
        last = jr.last_block()
        tokens = {
            a: (s, d) for a, s, d in conn.execute("SELECT address, symbol, decimals FROM tokens")
        }
        units = {a.lower(): (str(s), int(d)) for a, (s, d) in tokens.items()}
        pools = {
            a: (t0, t1) for a, t0, t1 in conn.execute("SELECT address, token0, token1 FROM pools")
        }
        opportunities = tuple(
            OpportunityRow(
                at=o["at"],
                block=o["block"],
                path=_path(o["base_token"], o["path"], pools, tokens),
                amount_in=o["amount_in"],
                net_profit=o["net_profit"],
                decision=o["decision"],
                reason=o["reason"],
                symbol=_unit(o["base_token"], units)[0],
                decimals=_unit(o["base_token"], units)[1],
                gross_profit=o["gross_profit"],
                gas_cost=o["gas_cost"],
            )
            for o in jr.latest_opportunities(rows)
        )
        latest = jr.latest_trades(rows)
        bases = _opportunity_bases(conn, [t["opportunity_id"] for t in latest])
        trades = tuple(
            _trade(t, _unit(t.get("base_token") or bases.get(t["opportunity_id"]), units))
            for t in latest
        )
        alerts = tuple(
            AlertRow(
                a["at"],
                PRIORITIES.get(str(a["priority"]), str(a["priority"])).lower(),
                a["key"],
                a["text"],
            )
            for a in jr.alerts(rows)
        )
        exposure: dict[str, int] = {}
        pending = 0
        for amount, base in conn.execute(
            "SELECT t.amount_in, coalesce(t.base_token, o.base_token) FROM trades t "
            "LEFT JOIN opportunities o ON o.id = t.opportunity_id "
            "WHERE t.status IN ('signed', 'sent')"
        ):
            pending += 1
            key = str(base or "").lower()
            exposure[key] = exposure.get(key, 0) + int(amount)
        ref = ref_token or jr.reference_token()
        symbol, decimals = _unit(ref, units) if ref else ("", 18)
        since = now - 7 * 86400
        part = _JournalPart(
            mode=jr.last_mode(),
            head_block=None if last is None else last["number"],
            head_timestamp=None if last is None else float(last["timestamp"]),
            counts=jr.counts(),
            decisions=jr.decision_counts(),
            trade_counts=jr.trade_counts(),
            pnl_today=jr.pnl_today(reset_hour_utc=reset_hour, now=now, ref_token=ref),
            pnl_7d=jr.pnl_days(7, now=now, ref_token=ref),
            equity_live=tuple(v for _, v in jr.equity_series(since, ref_token=ref)),
            equity_paper=tuple(v for _, v in jr.equity_series(since, paper=True, ref_token=ref)),
            symbol=symbol,
            decimals=int(decimals),
            opportunities=opportunities,
            trades=trades,
            alerts=alerts,
            exposure=tuple(
                (*_unit(base, units), amount) for base, amount in sorted(exposure.items())
            ),
            pending=pending,
            opportunity_rate=tuple(
                opportunity_rate(
                    conn,
                    since=_bucket_start(now) - (RATE_BUCKETS - 1) * RATE_BUCKET_S,
                    bucket_s=RATE_BUCKET_S,
                    buckets=RATE_BUCKETS,
                )
            ),
        )
    finally:
        conn.execute("COMMIT")
    return part


def _bucket_start(now: float) -> float:
    """The start of the rate bucket holding ``now`` (whole minutes: stable between refreshes)."""
    return math.floor(now / RATE_BUCKET_S) * RATE_BUCKET_S


def _unit(token: str | None, units: dict[str, tuple[str, int]]) -> tuple[str, int]:
    """``(symbol, decimals)`` of ``token``: a short address when the journal does not know it,
    ``("", 18)`` when the row does not say (rows from before trades carried their base token)."""
    if not token:
        return "", 18
    return units.get(token.lower(), (short_hash(token), 18))


def _opportunity_bases(conn: sqlite3.Connection, ids: list[int | None]) -> dict[int, str]:
    """Base token of each opportunity in ``ids`` (a trade's unit when it does not carry it)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    return dict(
        conn.execute(f"SELECT id, base_token FROM opportunities WHERE id IN ({marks})", wanted)
    )


def _path(
    base: str,
    pools: list[str],
    by_pool: dict[str, tuple[str, str]],
    tokens: dict[str, tuple[str, int]],
) -> str:
    """``WETH>USDC>WETH`` by walking the cycle from the base token; pool addresses when unknown."""
    token = base
    names = [tokens.get(base, (short_hash(base), 0))[0]]
    for pool in pools:
        t0, t1 = by_pool.get(pool, (None, None))
        if token == t0:
            token = t1
        elif token == t1:
            token = t0
        else:
            return ">".join(short_hash(p) for p in pools)
        names.append(tokens.get(token, (short_hash(str(token)), 0))[0])
    return ">".join(names)


def _trade(t: dict[str, Any], unit: tuple[str, int] = ("", 18)) -> TradeRow:
    profit = t["realized_profit"]
    if profit is None and t["status"] == "paper":
        profit = t["expected_profit"]
    return TradeRow(
        created_at=t["created_at"],
        status=t["status"],
        mode=t["mode"],
        tx_hash=t["tx_hash"],
        amount_in=t["amount_in"],
        expected_profit=t["expected_profit"],
        profit=profit,
        gas_used=t["gas_used"],
        gas_cost=t["gas_cost"],
        reason=t["reason"],
        symbol=unit[0],
        decimals=unit[1],
        net_profit=t["net_profit"],
    )


def _figure(value: Any) -> float:
    """A risk figure; NaN (not measured yet) as the one ``math.nan`` object, so two refreshes
    of the same picture still compare equal (no redraw)."""
    value = float(value)
    return math.nan if math.isnan(value) else value
