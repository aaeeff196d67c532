"""The risk task: moves messages between the channels and the :class:`RiskEngine`.

Ordering rule: before every batch of candidates is gated, every trade result already sent is
applied first. So a revert that opens the trade breaker stops approvals for the rest of that
block: the executor's result is never overtaken by the next candidates. Waiting on several
channels is a race of one receiver task per channel in a nursery that is cancelled when one
gets a message; Trio's memory-channel ``receive`` is cancel-safe, and a receiver that already
got its message keeps it, so nothing is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from fractions import Fraction

import trio

from appliance.events import (
    BlockSeen,
    CandidatesFound,
    KillSwitchPressed,
    KillSwitchRearmed,
    RpcHealthChanged,
    TokenDenied,
    TradeUpdated,
)
from appliance.risk.engine import RiskEngine
from appliance.risk.errors import RiskStateError
from appliance.risk.inputs import (
    HealthReported,
    HoldReleased,
    HoldRequested,
    InventoryObserved,
    PricesObserved,
    RearmRequested,
)
from appliance.risk.rebuild import rebuild_from_journal
from appliance.risk.state import RiskState, RiskStateFile
from appliance.safety import SafetyLatch

__all__ = ["run_risk"]

log = logging.getLogger(__name__)

_RESULTS, _INPUTS, _CANDIDATES = 0, 1, 2


async def _receive_any(channels, timeout: float) -> tuple[list[tuple[int, object]], list[int]]:
    """Wait until at least one channel has a message (or ``timeout``); return what arrived and
    which channels are closed."""
    got: list[tuple[int, object]] = []
    closed: list[int] = []

    async def receive(i: int, channel, scope: trio.CancelScope) -> None:
        try:
            msg = await channel.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            closed.append(i)
        else:
            got.append((i, msg))
        scope.cancel()

    with trio.move_on_after(timeout):
        async with trio.open_nursery() as nursery:
            for i, channel in enumerate(channels):
                if channel is not None:
                    nursery.start_soon(receive, i, channel, nursery.cancel_scope)
    return got, closed


def _only_cancelled(exc: BaseException) -> bool:
    if isinstance(exc, trio.Cancelled):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return exc.split(trio.Cancelled)[1] is None
    return False


def _drain(channel) -> tuple[list[object], bool]:
    """Everything already buffered in ``channel``; True when it is closed."""
    out: list[object] = []
    if channel is None:
        return out, False
    while True:
        try:
            out.append(channel.receive_nowait())
        except trio.WouldBlock:
            return out, False
        except (trio.EndOfChannel, trio.ClosedResourceError):
            return out, True


async def run_risk(
    cfg,  # appliance.config.AppConfig
    candidates_recv: trio.MemoryReceiveChannel,
    results_recv: trio.MemoryReceiveChannel | None,
    orders_send: trio.MemorySendChannel,
    records_send: trio.MemorySendChannel,
    *,
    latch: SafetyLatch,
    initial_state: RiskState | None = None,
    clock: Callable[[], float] = time.time,
    state_file: RiskStateFile | None = None,
    inputs_recv: trio.MemoryReceiveChannel | None = None,
    inventory: Mapping[str, int] | None = None,
    tick_s: float = 0.25,
    task_status=trio.TASK_STATUS_IGNORED,
) -> None:
    """Gate ``CandidatesFound`` into ``OrderApproved`` (to ``orders_send``) and records
    (``OrderRejected``, ``ModeChanged``, ``RiskUpdated``, ``AlertRaised``, to ``records_send``).

    ``results_recv`` carries ``TradeUpdated``; ``inputs_recv`` (optional) ``BlockSeen``,
    ``RpcHealthChanged``, ``TokenDenied``, ``KillSwitchPressed``, ``KillSwitchRearmed`` and the
    messages of :mod:`appliance.risk.inputs`; ``candidates_recv`` also takes the market's
    per-block ``PricesObserved`` (volatility regime, correlations, valuation). A damaged saved
    state keeps the breakers open until the journal rebuilt today's P&L (done here, at start). The state is loaded from ``state_file`` when
    ``initial_state`` is None and saved back there whenever it changes; a graceful stop
    (cancellation or ``candidates_recv`` closed) marks it clean. ``task_status.started`` gets the
    engine: other tasks may only *read* it (``size_caps()``, ``snapshot()``, ``mode``).
    Returns when ``candidates_recv`` is closed.
    """
    state_error = None
    if initial_state is None and state_file is not None:
        try:
            initial_state = state_file.load()
        except RiskStateError as exc:
            state_error = str(exc)
    engine = RiskEngine(
        cfg.risk,
        latch=latch,
        clock=clock,
        deny=cfg.tokens.deny,
        tip_wei=int(Fraction(cfg.execution.tip_gwei) * 10**9),
        state=initial_state,
        state_error=state_error,
        inventory=inventory,
        equity_token=cfg.tokens.base[0],
        pending_timeout_s=2 * cfg.execution.receipt_timeout_s + 30,
        flash=cfg.execution.funding == "flash",
    )

    save_failed = False

    async def save(clean: bool) -> None:
        """Persist the state; a full or broken disk is logged once and retried, never a crash
        (the store raises the storage fault and holds trading; the state stays in memory)."""
        nonlocal save_failed
        if state_file is None:
            return
        snapshot = engine.persisted_state(clean_shutdown=clean)
        try:
            await trio.to_thread.run_sync(state_file.save, snapshot)
        except OSError as exc:
            engine.mark_dirty()  # try again at the next save
            if not save_failed:
                log.error(
                    "risk state %s could not be saved (%s): kept in memory, retrying",
                    state_file.path,
                    exc.strerror or exc,
                )
            save_failed = True
        else:
            if save_failed:
                log.warning("risk state %s saved again", state_file.path)
            save_failed = False

    async def emit(records) -> None:
        for record in records:
            await records_send.send(record)

    def apply(msg: object):
        if isinstance(msg, TradeUpdated):
            return engine.on_trade(msg)
        if isinstance(msg, BlockSeen):
            return engine.on_block(msg)
        if isinstance(msg, HealthReported):
            return engine.on_health(msg.synced, msg.healthy)
        if isinstance(msg, RpcHealthChanged):
            return engine.on_rpc_health(msg.endpoints)
        if isinstance(msg, TokenDenied):
            return engine.on_token_denied(msg.token)
        if isinstance(msg, InventoryObserved):
            return engine.on_inventory(msg.balances, msg.equity, msg.gas_balance_wei)
        if isinstance(msg, PricesObserved):
            return engine.on_prices(msg.prices)
        if isinstance(msg, (RearmRequested, KillSwitchRearmed)):
            return engine.rearm()
        if isinstance(msg, HoldRequested):
            return engine.hold(msg.key, msg.mode, msg.reason, msg.source)
        if isinstance(msg, HoldReleased):
            return engine.release(msg.key, msg.reason, msg.source)
        if isinstance(msg, KillSwitchPressed):
            return engine.tick()
        log.warning("risk: ignoring unexpected message %r", msg)
        return []

    channels: list = [results_recv, inputs_recv, candidates_recv]
    clean = False
    await emit(engine.startup_records())
    if engine.damaged is not None:  # breakers held open until the journal rebuilt the day
        figures, error = await trio.to_thread.run_sync(rebuild_from_journal, cfg, clock())
        await emit(engine.rebuild(figures, error))
    # only now: a crash before the rebuild leaves the damaged file, so the next start rebuilds
    await save(False)
    task_status.started(engine)
    try:
        while True:
            got, closed = await _receive_any(channels, tick_s)
            for i in closed:
                channels[i] = None
            results = [m for i, m in got if i == _RESULTS]
            inputs = [m for i, m in got if i == _INPUTS]
            batches = [m for i, m in got if i == _CANDIDATES]
            more, gone = _drain(channels[_CANDIDATES])  # a block's prices and its candidates
            batches += more  # come back to back: one pass, not a wait for the second
            if gone:
                channels[_CANDIDATES] = None
            drained, gone = _drain(channels[_RESULTS])
            results += drained
            if gone:
                channels[_RESULTS] = None
            for msg in results + inputs:
                await emit(apply(msg))
            await emit(engine.tick())
            for batch in batches:
                if isinstance(batch, PricesObserved):  # the market's per-block prices
                    await emit(engine.on_prices(batch.prices))
                    continue
                if not isinstance(batch, CandidatesFound):
                    log.warning("risk: ignoring %r on the candidates channel", batch)
                    continue
                # results that arrived while we were sending records come first
                late, gone = _drain(channels[_RESULTS])
                if gone:
                    channels[_RESULTS] = None
                for msg in late:
                    await emit(apply(msg))
                orders, records = engine.on_candidates(batch)
                await emit(records)
                for order in orders:
                    # journaled (and seen by the market) before execution can report on it
                    await records_send.send(order)
                    await orders_send.send(order)
            if engine.take_dirty():
                await save(False)
            if channels[_CANDIDATES] is None:
                clean = True
                return
    except BaseException as exc:
        clean = _only_cancelled(exc)  # a graceful stop, not a crash
        raise
    finally:
        if clean and state_file is not None:
            with trio.CancelScope(shield=True):
                await save(True)
