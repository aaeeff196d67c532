"""The risk engine: modes, breakers, measures and the gate, driven by one task.

Every ``on_*`` method is synchronous and returns the records it produced (``ModeChanged``,
``AlertRaised``, ``RiskUpdated``, ``OrderRejected``), so the engine is testable without Trio and
:func:`appliance.risk.task.run_risk` only moves messages. The safety latch is consulted before
every decision (it is tripped from other threads), so a kill switch wins every race.

Accounting (see :mod:`appliance.risk.settle`): the breakers' P&L is integer wei of the
*reference* token. Equity (see :mod:`appliance.risk.valuation`) values every base token held at
the candidate-implied rate, plus the native gas balance and the paper P&L. The pending orders
and their exposure live in :mod:`appliance.risk.pending`, the breakers as rules in
:mod:`appliance.risk.breakers`.

A damaged saved state (unreadable, truncated, wrong types) never resets the breakers to closed:
every conservative breaker is restored OPEN (PAUSED, with the reason journaled) until
:meth:`RiskEngine.rebuild` hands in the figures the journal rebuilt; then they follow those.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping

from appliance.events import (
    AlertRaised,
    BlockSeen,
    Candidate,
    CandidatesFound,
    ModeChanged,
    OrderApproved,
    OrderRejected,
    Priority,
    RiskUpdated,
    TradeStatus,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.risk.breakers import BreakerChange, Breakers, BreakerState, Rebuilt
from appliance.risk.errors import RiskStateError
from appliance.risk.gate import Decision, GateContext, Limits, gate
from appliance.risk.measures import (
    KellySizer,
    PriceReturns,
    TailRisk,
    exposure_scales,
    vol_regime,
)
from appliance.risk.modes import ModeController
from appliance.risk.pending import PendingOrders
from appliance.risk.settle import PENDING, SettledOrders, outcome
from appliance.risk.sizing import size_caps, size_multiplier, var_factor
from appliance.risk.state import RiskState
from appliance.risk.valuation import Valuation
from appliance.safety import SafetyLatch

__all__ = ["Record", "RiskEngine"]

Record = ModeChanged | AlertRaised | RiskUpdated | OrderRejected

log = logging.getLogger(__name__)

SETTLED_KEPT = 512  # settled order ids saved in the risk state (a day's trades on a busy box)

NOT_MEASURED = "unmeasured"  # the regime before any price observation
_NAN = math.nan  # one object: RiskUpdated snapshots with unmeasured VaR compare equal


class RiskEngine:
    """Owned by one task. ``state`` is what :class:`~appliance.risk.state.RiskStateFile` loaded
    (None on a first start); ``state_error`` a reason when it could not be read."""

    def __init__(
        self,
        cfg,  # appliance.config.RiskConfig
        *,
        latch: SafetyLatch,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        deny: Iterable[str] = (),
        tip_wei: int = 0,
        state: RiskState | None = None,
        state_error: str | None = None,
        inventory: Mapping[str, int] | None = None,
        equity_token: str | None = None,
        pending_timeout_s: float = 120.0,
        flash: bool = False,
    ) -> None:
        self.cfg = cfg
        # flash-swap funding: nothing held is at stake, so only the absolute size cap applies
        self.limits = dataclasses.replace(Limits.from_config(cfg), inventory_limits=not flash)
        self._flash = flash
        self._latch = latch
        self._clock = clock
        self._monotonic = monotonic
        self._tip = int(tip_wei)
        self._denied = set(deny)
        self._inventory: dict[str, int] = dict(inventory or {})
        now = clock()
        self._records: list[Record] = []
        clean = state.clean_shutdown if state is not None else True
        self.breakers = Breakers(cfg, now=now)
        self.damaged: str | None = None  # why the saved state could not be used, until rebuilt
        if state_error is None and state is not None and state.breakers:
            try:
                self.breakers = Breakers.from_json(state.breakers, cfg, now=now, new_session=clean)
            except RiskStateError as exc:
                state_error = str(exc)
        if state_error is not None:
            clean = False
            self.damaged = state_error
        last_mode = state.mode if state is not None and state_error is None else None
        self.modes = ModeController.restore(last_mode, clean, latch, clock=clock)
        assert self.modes.startup_event is not None
        self._records.append(self.modes.startup_event)
        if self.damaged is not None:
            self._alert(
                Priority.CRITICAL,
                "risk:state",
                "risk state damaged, breakers held open until the journal rebuilt today's P&L: "
                f"{state_error}",
            )
            self.breakers.trip_damaged(f"risk state damaged: {state_error}", now)
        elif self.breakers.fresh and state is not None and state.breakers:
            self._alert(
                Priority.INFO,
                "risk:state",
                f"breakers new since the saved state start closed: {', '.join(self.breakers.fresh)}",
            )
        for name, bstate in self.breakers.states.items():
            if bstate is not BreakerState.CLOSED:
                reason = f"restored: {self.breakers.reasons.get(name, bstate)}"
                self._alert(
                    Priority.CRITICAL if bstate is BreakerState.OPEN else Priority.WARNING,
                    f"breaker:{name}",
                    f"{name} breaker {bstate}: {reason}",
                    {"breaker": name, "old": "closed", "new": str(bstate)},
                )
                self._hold_for(BreakerChange(name, BreakerState.CLOSED, bstate, reason))
        # market/health picture
        self._head_block = 0
        self._head_seen_at: float | None = None
        self._base_fee = 0
        self._reserves_block = 0
        self._rpc_healthy = True  # until told otherwise; the startup hold waits for a report
        self._orders_block = -1
        self._orders_this_block = 0
        self._pending = PendingOrders(pending_timeout_s)
        # a terminal result reported twice counts once, across a restart too (saved with the
        # breakers whose P&L counted it; a damaged state restores none: the journal rebuilds)
        self._settled = SettledOrders(
            known=state.settled if state is not None and state_error is None else ()
        )
        self._denied_frozen = frozenset(self._denied)
        self.valuation = Valuation(equity_token)
        self.gas_balance: int | None = None
        # measures
        self._pnl = TailRisk(cfg.var_window)
        self._inv_changes = TailRisk(cfg.var_window)
        self._last_inv_value: int | None = None
        self._returns = PriceReturns(cfg.vol_window)
        self._kelly = KellySizer(cfg.kelly_fraction, cfg.kelly_cap_pct, cfg.kelly_min_trades)
        self._kelly_bet: float | None = None
        self.volatility = 0.0
        self.regime = NOT_MEASURED  # sizes as "low" until prices are observed
        self._exposure_scale: dict[str, float] = {}
        self._correlation: dict[tuple[str, str], float] = {}
        self._exposure_of: tuple | None = None  # (holdings, correlations) of _exposure_scale
        self._tag = format(int(now * 1000), "x")
        self._seq = 0
        self._dirty = True
        self._last_update: RiskUpdated | None = None
        self._update_key: tuple | None = None  # what _last_update was made of
        self._caps: tuple[tuple, dict[str, int]] | None = None  # (inputs, size caps) last computed

    # ================================================================== inputs
    def startup_records(self) -> list[Record]:
        """The audit rows of the start (mode restore, restored breakers): send them first."""
        return self._take()

    def tick(self) -> list[Record]:
        """Follow the latch and the clock (cooldowns, daily reset). Call often (every ~0.25 s)."""
        self._tick()
        return self._take()

    def on_block(self, block: BlockSeen) -> list[Record]:
        if block.number >= self._head_block:
            self._head_block = block.number
            self._head_seen_at = self._monotonic()
            self._base_fee = block.base_fee or 0
        self._tick()
        self._maybe_update()
        return self._take()

    def on_health(self, synced: bool, healthy: bool) -> list[Record]:
        self._rpc_healthy = bool(healthy)
        self._tick()
        self._mode_event(self.modes.on_health(synced, healthy))
        return self._take()

    def on_rpc_health(self, endpoints) -> list[Record]:
        """From ``RpcHealthChanged.endpoints``: healthy = one healthy endpoint; synced = one of
        those is not lagging."""
        healthy = [e for e in endpoints if e.healthy]
        return self.on_health(synced=any(not e.lagging for e in healthy), healthy=bool(healthy))

    def on_token_denied(self, token: str) -> list[Record]:
        self._denied.add(token)
        self._denied_frozen = frozenset(self._denied)
        return self._take()

    def on_inventory(
        self,
        balances: Mapping[str, int],
        equity: int | None = None,
        gas_balance_wei: int | None = None,
    ) -> list[Record]:
        """Balances per token (wei) and the trading account's native gas balance. ``equity``:
        the total in reference-token wei when the producer valued it; by default everything
        held is valued here (see :mod:`appliance.risk.valuation`). Feeds inventory VaR, the
        drawdown breaker and the gas floor."""
        self._inventory = {t: int(v) for t, v in balances.items()}
        now = self._clock()
        self._tick()
        if gas_balance_wei is not None:
            self.gas_balance = int(gas_balance_wei)
            self._breaker_changes(self.breakers.observe_gas(self.gas_balance, now))
        if equity is None:
            equity = self.valuation.equity(self._inventory, self.gas_balance)
        if equity is not None:
            if self._last_inv_value is not None:
                self._inv_changes.push(float(equity - self._last_inv_value))
            self._last_inv_value = int(equity)
            peak = self.breakers.equity_peak
            self._breaker_changes(self.breakers.observe_equity(int(equity), now))
            if self.breakers.equity_peak != peak:
                self._dirty = True  # only a new peak must survive a restart (SD wear)
        self._refresh_exposure()
        self._maybe_update()
        return self._take()

    def rebuild(self, figures: Rebuilt | None, error: str | None = None) -> list[Record]:
        """After a damaged saved state: the journal's figures (``None`` with ``error`` when the
        journal could not give them: the breakers stay open). No-op when nothing was damaged."""
        if self.damaged is None:
            return self._take()
        if figures is None:
            self._alert(
                Priority.CRITICAL,
                "risk:state",
                f"breakers stay open: the journal could not rebuild today's P&L: {error}",
            )
            return self._take()
        self.damaged = None
        self._breaker_changes(self.breakers.rebuild(figures, self._clock()))
        self._dirty = True
        self._maybe_update()
        return self._take()

    def on_prices(self, prices: Mapping[str, float]) -> list[Record]:
        """Prices of tokens in one numeraire (one observation per block): volatility regime and
        correlations."""
        self._returns.observe(prices)
        self.valuation.observe_prices(prices)
        vols = self._returns.volatility()
        self.volatility = max(vols.values(), default=0.0)
        self.regime = (
            vol_regime(self.volatility, self.cfg.vol_medium, self.cfg.vol_high)
            if vols
            else NOT_MEASURED
        )
        self._correlation = self._returns.correlation()
        self._refresh_exposure()
        self._maybe_update()
        return self._take()

    def on_candidates(self, found: CandidatesFound) -> tuple[list[OrderApproved], list[Record]]:
        """Gate each candidate in order; approve at most what the limits allow."""
        if found.block > self._head_block:
            self._head_block = found.block
            self._head_seen_at = found.seen_at
        if self._reserves_block < found.block:
            self._reserves_block = found.block
        self._tick()
        orders: list[OrderApproved] = []
        gas_price = self._base_fee + self._tip
        for candidate in found.candidates:
            self.valuation.observe_candidate(candidate, gas_price)
            decision = self.decide(candidate)
            if decision.approved:
                orders.append(self._approve(candidate))
            else:
                self._records.append(OrderRejected(candidate, decision.reason, decision.detail))
        return orders, self._take()

    def on_trade(self, update: TradeUpdated) -> list[Record]:
        """A trade's progress; terminal states feed the breakers and the measures."""
        if update.status in PENDING:
            return self._take()
        candidate = self._pending.settle(update.order_id)
        if not self._settled.first(update.order_id):
            log.info("trade %s: %s reported again, counted once", update.order_id, update.status)
            return self._take()
        success, pnl = outcome(update)
        if update.status is TradeStatus.MINED:
            base = update.base_token or (candidate.base_token if candidate is not None else None)
            if base is not None and update.realized_profit is not None:
                self._inventory[base] = self._inventory.get(base, 0) + update.realized_profit
        elif update.status is TradeStatus.PAPER:
            self.valuation.paper_pnl += pnl  # nothing moved on the chain: equity adds it
        now = self._clock()
        self._tick()
        self._breaker_changes(self.breakers.record_trade(success, pnl, now))
        self._pnl.add(float(pnl))
        self._kelly_bet = self._kelly.bet_fraction(self._pnl.values())
        self._dirty = True
        self._maybe_update()
        return self._take()

    def hold(self, key: str, mode: Mode, reason: str, source: str = "supervisor") -> list[Record]:
        """Keep the mode at least at ``mode`` (REDUCED/PAUSED) until :meth:`release` of ``key``."""
        self._mode_event(self.modes.hold(key, mode, reason, source))
        return self._take()

    def release(self, key: str, reason: str, source: str = "supervisor") -> list[Record]:
        self._mode_event(self.modes.release(key, reason, source))
        return self._take()

    def kill(self, reason: str, source: str = "kill_switch") -> list[Record]:
        """Software kill switch (same effect as the hardware one)."""
        self._mode_event(self.modes.emergency(reason, source))
        return self._take()

    def rearm(self) -> list[Record]:
        """After the box's deliberate re-arm removed the latch: EMERGENCY -> PAUSED (NORMAL once
        healthy); clears the session and drawdown breakers (their baselines restart now).

        While the latch is still tripped this does nothing but warn: a late re-arm message must
        never undo a fresh press of the kill switch (the latch is the only authority).
        """
        self._tick()  # follows the latch: may already leave EMERGENCY (armed) or enter it
        if self._latch.tripped:
            self._alert(
                Priority.WARNING,
                "risk:rearm",
                "re-arm ignored: the kill-switch latch is still tripped",
            )
        return self._take()

    # ================================================================== decisions
    def context(self) -> GateContext:
        """A snapshot for the gate, used at once (it shares the engine's dicts: do not keep it)."""
        token_exposure, pool_exposure = self._pending.exposures()
        head_age = (
            float("inf") if self._head_seen_at is None else self._monotonic() - self._head_seen_at
        )
        mode = self.modes.mode
        return GateContext(
            mode=mode,
            latch_tripped=self._latch.tripped,
            head_block=self._head_block,
            head_age_s=head_age,
            reserves_block=self._reserves_block,
            rpc_healthy=self._rpc_healthy,
            base_fee=self._base_fee,
            tip=self._tip,
            inventory=self._inventory,
            token_exposure=token_exposure,
            pool_exposure=pool_exposure,
            pending=len(self._pending),
            orders_this_block=self._orders_this_block
            if self._orders_block == self._head_block
            else 0,
            denied=self._denied_frozen,
            breakers=self.breakers.states,
            size_multiplier=self.size_multiplier,
            exposure_scale=self._exposure_scale,
        )

    def decide(self, candidate: Candidate) -> Decision:
        """The gate's decision for ``candidate`` now (the latch is re-read first)."""
        self._mode_event(self.modes.sync_latch())
        return gate(candidate, self.context(), self.limits)

    @property
    def mode(self) -> Mode:
        return self.modes.mode

    @property
    def size_multiplier(self) -> float:
        return size_multiplier(
            self.regime, self.modes.mode, self.cfg.reduced_size_factor, self.var_factor
        )

    @property
    def var_factor(self) -> float:
        return var_factor(
            bool(getattr(self.cfg, "var_caps_trade", False)),
            self._pnl.figures.var99,
            self.cfg.session_loss_wei,
            self.breakers.pnl_session,
        )

    def size_caps(self) -> dict[str, int]:
        """Largest input per base token the gate would accept now (see :mod:`.sizing`).

        Asked for at every block (the detector's caps); the exact rational arithmetic runs
        again only when one of its inputs changed."""
        inputs = (
            tuple(self._inventory.items()),
            self.modes.mode.trades and not self._latch.tripped and not self.breakers.any_open,
            self._flash,
            self.limits.max_trade_wei,
            self.cfg.max_trade_pct_inventory,
            self.size_multiplier,
            self._kelly_bet,
        )
        if self._caps is None or self._caps[0] != inputs:
            caps = size_caps(
                self._inventory,
                trading=inputs[1],
                flash=inputs[2],
                max_trade_wei=inputs[3],
                max_trade_pct_inventory=inputs[4],
                multiplier=inputs[5],
                kelly_bet=inputs[6],
            )
            self._caps = (inputs, caps)
        return dict(self._caps[1])

    def snapshot(self) -> RiskUpdated:
        fig = self._pnl.figures
        measured = fig.points >= 2  # VaR of fewer points is not a figure: NaN ("not measured")
        return RiskUpdated(
            breakers=self.breakers.snapshot(),
            pnl_today=self.breakers.pnl_today,
            pnl_session=self.breakers.pnl_session,
            equity_peak=self.breakers.equity_peak,
            var95=fig.var95 if measured else _NAN,
            cvar95=fig.cvar95 if measured else _NAN,
            var99=fig.var99 if measured else _NAN,
            cvar99=fig.cvar99 if measured else _NAN,
            regime=self.regime,
            size_multiplier=self.size_multiplier,
        )

    @property
    def inventory_risk(self):
        """VaR/CVaR of per-observation changes of the inventory value (wei)."""
        return self._inv_changes.figures

    @property
    def kelly_bet(self) -> float | None:
        return self._kelly_bet

    @property
    def correlation(self) -> dict[tuple[str, str], float]:
        return dict(self._correlation)

    @property
    def exposure_scale(self) -> dict[str, float]:
        return dict(self._exposure_scale)

    @property
    def pending(self) -> dict[str, Candidate]:
        return self._pending.as_dict()

    # ================================================================== persistence
    def persisted_state(self, *, clean_shutdown: bool = False) -> RiskState:
        return RiskState(
            mode=self.modes.mode,
            clean_shutdown=clean_shutdown,
            breakers=self.breakers.to_json(),
            saved_at=self._clock(),
            settled=self._settled.recent(SETTLED_KEPT),
        )

    def mark_dirty(self) -> None:
        """The persisted state must be written again (a save failed)."""
        self._dirty = True

    def take_dirty(self) -> bool:
        """True once after anything persisted changed (mode, breakers, P&L)."""
        dirty, self._dirty = self._dirty, False
        return dirty

    # ================================================================== internals
    def _take(self) -> list[Record]:
        out, self._records = self._records, []
        return out

    def _tick(self) -> None:
        was = self.modes.mode
        self._mode_event(self.modes.sync_latch())
        if was is Mode.EMERGENCY and self.modes.mode is not Mode.EMERGENCY:
            self._after_rearm()
        now = self._clock()
        self._breaker_changes(self.breakers.poll(now))
        self._expire_pending(now)

    def _expire_pending(self, now: float) -> None:
        for order_id, age in self._pending.expire(now):
            self._alert(
                Priority.WARNING,
                f"risk:pending:{order_id}",
                f"order {order_id}: no result after {age:.0f}s; no longer counted as pending",
            )

    def _after_rearm(self) -> None:
        self._breaker_changes(self.breakers.rearm("re-armed on the box"))
        self._dirty = True

    def _approve(self, candidate: Candidate) -> OrderApproved:
        if self._orders_block != self._head_block:
            self._orders_block = self._head_block
            self._orders_this_block = 0
        self._orders_this_block += 1
        self._seq += 1
        order_id = f"{candidate.block}-{self._tag}-{self._seq}"
        self._pending.add(order_id, candidate, self._clock())
        return OrderApproved(candidate=candidate, mode=self.modes.mode, order_id=order_id)

    def _mode_event(self, event: ModeChanged | None) -> None:
        if event is not None:
            self._records.append(event)
            self._dirty = True

    def _hold_for(self, change: BreakerChange) -> None:
        """OPEN holds the mode at PAUSED, HALF_OPEN at REDUCED; CLOSED releases the hold."""
        key, what = f"breaker:{change.name}", f"{change.name} breaker {change.new}: {change.reason}"
        hold = {BreakerState.OPEN: Mode.PAUSED, BreakerState.HALF_OPEN: Mode.REDUCED}
        if change.new in hold:
            self._mode_event(self.modes.hold(key, hold[change.new], what, "breaker"))
        else:
            self._mode_event(self.modes.release(key, what, "breaker"))

    def _breaker_changes(self, changes: list[BreakerChange]) -> None:
        for change in changes:
            self._dirty = True
            priority = (
                Priority.WARNING if change.new is BreakerState.HALF_OPEN else Priority.CRITICAL
            )
            self._alert(
                priority,
                f"breaker:{change.name}",
                f"{change.name} breaker {change.new}: {change.reason}",
                {"breaker": change.name, "old": str(change.old), "new": str(change.new)},
            )
            self._hold_for(change)
        if changes:
            self._maybe_update()

    def _alert(
        self, priority: Priority, key: str, text: str, extra: dict[str, str] | None = None
    ) -> None:
        self._records.append(
            AlertRaised(at=self._clock(), priority=priority, key=key, text=text, extra=extra or {})
        )

    def _refresh_exposure(self) -> None:
        held = tuple(t for t, v in self._inventory.items() if v > 0)
        # a pure function of the holdings and the correlations: the same ones, the same scales
        if (held, self._correlation) != self._exposure_of:
            self._exposure_scale = exposure_scales(held, self._correlation)
            self._exposure_of = (held, self._correlation)

    def _maybe_update(self) -> None:
        # The snapshot is a function of these figures (and of the fixed config): while they are
        # the same, so is the snapshot, and nothing is built (this runs several times a block).
        b = self.breakers
        key = (
            tuple(b.states.items()),
            b.pnl_today,
            b.pnl_session,
            b.equity_peak,
            self._pnl.figures,
            self.regime,
            self.modes.mode,
        )
        if key == self._update_key:
            return
        self._update_key = key
        update = self.snapshot()
        if update != self._last_update:
            self._last_update = update
            self._records.append(update)
