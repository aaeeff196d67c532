"""``run_market``: the supervisor task that turns chain events into candidates.

Inputs (from the chain task): ``BlockSeen``, ``ReorgDetected``, ``PoolStatesUpdated`` (V3
pools, applied; the block is evaluated at its ``ReservesUpdated``), ``ReservesUpdated``,
``PoolsDiscovered``, ``TokenDenied``, ``SizingUpdated`` (risk caps and inventory), and
``OrderApproved``/``TradeUpdated`` (a successful paper fill is laid over the reserves as a real
fill would have moved them: see the detector). Outputs: on ``candidates_send`` (to risk), per
block a :class:`~appliance.risk.inputs.PricesObserved` of the base tokens (the risk engine's
volatility regime, correlations and valuation; ``prices=False`` turns it off) then the block's
``CandidatesFound``
and, on ``records_send`` (to the store, which journals the reason), a ``TokenDenied`` for every
token this task's own probe deny-lists (a ``TokenDenied`` that came in is applied, not echoed).
When an ``eth_call`` is given, every new non-base token is probed for hostility in a child task;
its verdicts come back through an internal channel, so the :class:`Detector` is only ever
touched by the one loop below. A probe that fails (RPC trouble) is retried on a later block, up
to :data:`PROBE_ATTEMPTS` times; a token that cannot be probed is left tradeable and logged.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import trio

from appliance.events import (
    BlockSeen,
    Candidate,
    OrderApproved,
    PoolsDiscovered,
    PoolStatesUpdated,
    ReorgDetected,
    ReservesUpdated,
    SizingUpdated,
    TokenDenied,
    TradeStatus,
    TradeUpdated,
)
from appliance.risk.inputs import PricesObserved
from appliance.strategy.detector import Detector
from appliance.strategy.errors import ProbeFailed
from appliance.strategy.hostile import EthCall, probe_token

__all__ = ["PROBE_ATTEMPTS", "run_market"]

log = logging.getLogger(__name__)

_BLOCKS_REMEMBERED = 256
PROBE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class _Verdict:
    """The prober's answer about one token: denied (a TokenDenied) or failed (None)."""

    token: str
    denied: TokenDenied | None
    failed: bool = False


async def run_market(
    cfg,
    events_recv: trio.MemoryReceiveChannel,
    candidates_send: trio.MemorySendChannel,
    records_send: trio.MemorySendChannel | None = None,
    *,
    size_caps: Mapping[str, int] | None = None,
    inventory: Mapping[str, int] | None = None,
    eth_call: EthCall | None = None,
    prices: bool = True,
    task_status=trio.TASK_STATUS_IGNORED,
) -> None:
    """Run until ``events_recv`` is closed. ``task_status.started(detector)`` when ready."""
    detector = Detector(cfg, size_caps=size_caps, inventory=inventory)
    # block number -> (time.monotonic() when seen, base fee)
    blocks: OrderedDict[int, tuple[float, int | None]] = OrderedDict()
    approved: OrderedDict[str, Candidate] = OrderedDict()  # order id -> candidate (paper fills)
    probe = eth_call is not None and cfg.strategy.probe_tokens
    verdict_send, verdict_recv = trio.open_memory_channel[object](64)
    probe_send, probe_recv = trio.open_memory_channel[tuple[str, str, int]](1024)
    probed: set[str] = set()
    attempts: dict[str, int] = {}

    async def forward() -> None:
        async with events_recv, verdict_send:
            async for event in events_recv:
                await verdict_send.send(event)
        probe_send.close()

    async def prober(send: trio.MemorySendChannel) -> None:
        async with send:
            async for token, pair, reserve in probe_recv:
                try:
                    denied = await probe_token(eth_call, token=token, pair=pair, reserve=reserve)
                except ProbeFailed as exc:
                    log.warning("hostile-token probe failed: %s", exc)
                    await send.send(_Verdict(token, None, failed=True))
                    continue
                await send.send(_Verdict(token, denied))

    def queue_probes() -> None:
        state = detector.state
        for pid, pool in enumerate(state.pools):
            if not state.kinds[pid].probe:
                continue  # the probe flash-borrows through a constant-product pair only
            for token, reserve in (
                (pool.token0, state.reserve0[pid]),
                (pool.token1, state.reserve1[pid]),
            ):
                if token in probed or token in detector.base_tokens or token in state.denied:
                    continue
                if reserve < 1000:
                    continue  # no reserves yet: probe once they arrive
                probed.add(token)
                try:
                    probe_send.send_nowait((token, pool.address, reserve))
                except trio.WouldBlock:
                    probed.discard(token)

    async def deny(token: str, reason: str, *, journal: bool) -> None:
        if detector.deny(token, reason) and journal and records_send is not None:
            await records_send.send(TokenDenied(token=token, reason=reason))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(forward)
        if probe:
            nursery.start_soon(prober, verdict_send.clone())
        else:
            probe_send.close()
        task_status.started(detector)
        async with verdict_recv:
            async for event in verdict_recv:
                if isinstance(event, BlockSeen):
                    blocks[event.number] = (time.monotonic(), event.base_fee)
                    while len(blocks) > _BLOCKS_REMEMBERED:
                        blocks.popitem(last=False)
                elif isinstance(event, ReservesUpdated):
                    seen_at, base_fee = blocks.get(event.block, (time.monotonic(), None))
                    found = detector.on_reserves(event, base_fee, seen_at=seen_at)
                    if probe:
                        queue_probes()
                    if prices:
                        await candidates_send.send(PricesObserved(detector.base_prices()))
                    if found is not None:
                        await candidates_send.send(found)
                elif isinstance(event, PoolStatesUpdated):
                    detector.on_pool_states(event)
                elif isinstance(event, ReorgDetected):
                    detector.on_reorg(event)
                    blocks[event.new_head.number] = (time.monotonic(), event.new_head.base_fee)
                elif isinstance(event, PoolsDiscovered):
                    detector.on_pools(event)
                elif isinstance(event, _Verdict):
                    if event.denied is not None:
                        await deny(event.token, event.denied.reason, journal=True)
                    elif event.failed:
                        attempts[event.token] = attempts.get(event.token, 0) + 1
                        if attempts[event.token] < PROBE_ATTEMPTS:
                            probed.discard(event.token)  # probe again on a later block
                        else:
                            log.warning("token %s could not be probed; left tradeable", event.token)
                elif isinstance(event, TokenDenied):
                    await deny(event.token, event.reason, journal=False)
                elif isinstance(event, OrderApproved):
                    approved[event.order_id] = event.candidate
                    while len(approved) > _BLOCKS_REMEMBERED:
                        approved.popitem(last=False)
                elif isinstance(event, TradeUpdated):
                    if event.status in (TradeStatus.SIGNED, TradeStatus.SENT):
                        continue  # not settled yet
                    candidate = approved.pop(event.order_id, None)
                    # a failed paper simulation is a revert: it moved nothing, as live
                    paper_fill = event.status is TradeStatus.PAPER and not event.reason
                    if candidate is not None and paper_fill and not detector.mark_filled(candidate):
                        log.info("paper fill %s not laid over the reserves", event.order_id)
                elif isinstance(event, SizingUpdated):
                    detector.set_size_caps(event.size_caps)
                    detector.set_inventory(event.inventory)
                else:
                    log.debug("market task ignores %s", type(event).__name__)
        nursery.cancel_scope.cancel()
