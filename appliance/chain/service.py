"""The chain subsystem: heads and reserves, in order, on one channel.

Per block, in order: ``BlockSeen`` then (with V3 pools watched) ``PoolStatesUpdated`` then
``ReservesUpdated`` for that block (with ``PoolsDiscovered`` between them when new pools were
found). Reserves come from the block's ``Sync`` logs, except for a full read (``full=True``,
every pool) at start, after every reorg (``ReorgDetected`` goes out first), when new pools were
found, and at the block after a refresh check disagreed. Every ``chain.full_refresh_blocks`` blocks the values the logs had built up,
*including that block's own logs*, are checked against a full read of that block — off the
block's path (:mod:`appliance.chain.refresh_check`): a difference is logged as an error and
the full values win at the next block. V3 pools are read again by snapshot on that block.
``RpcHealthChanged`` goes out when an endpoint's health, lag, breaker, stream or data fault
changes, with the live input path (``"streaming"`` / ``"polling"``); a data fault of
an endpoint (it answers, but lies) is also a ``FaultChanged("rpc:<host>")``.

Streaming: each endpoint with a WebSocket URL runs :func:`~appliance.chain.stream.run_stream`;
its heads feed the same follower as polling. A streamed block's reserves (and its ``Swap``
logs, for market intelligence) come from the subscription's logs that preceded its head (or from
its ``logsBloom``) when they are known exactly, with no request; otherwise from one
``eth_getLogs`` request as when polling. The Swap logs go to market intelligence a quarter block
(at most 0.25 s) after the block's reserves (:func:`swaps_delay_s`): its receipts request and
classification run after the block's order was made, not while it is being made.

New pools: with an :class:`AppConfig`, each full read and each refresh check first reads the
factories' ``PairCreated`` logs since the last (one request per check, none per block); pools of
watched tokens are announced as ``PoolsDiscovered`` and watched from that block on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import trio

from appliance.chain.discovery import discover, pairs_created
from appliance.chain.errors import ChainError
from appliance.chain.heads import poll_interval, run_head_follower
from appliance.chain.pool import RpcPool
from appliance.chain.refresh_check import RefreshCheck
from appliance.chain.reserves import (
    fetch_pool_states,
    fetch_reserves_by_logs,
    fetch_reserves_full,
    split_by_state,
    state_topics,
)
from appliance.chain.stream import StreamedBlocks, WatchedPools, run_stream
from appliance.chain.values import Log
from appliance.config import ChainConfig
from appliance.events import (
    BlockSeen,
    FaultChanged,
    PoolInfo,
    PoolsDiscovered,
    PoolStatesUpdated,
    ReorgDetected,
    ReservesUpdated,
    RpcHealthChanged,
    SwapLogsSeen,
)

__all__ = ["run_chain", "run_rpc_health"]

log = logging.getLogger(__name__)

_FULL_AFTER_LOG_FAILURES = 3


def _chain_cfg(cfg: Any) -> ChainConfig:
    return cfg if isinstance(cfg, ChainConfig) else cfg.chain


async def run_rpc_health(
    rpc: RpcPool,
    events_send: trio.MemorySendChannel,
    *,
    interval_s: float,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Probe every endpoint's head each ``interval_s``; emit ``RpcHealthChanged`` on change (at
    once when a stream or a data fault changes) and ``FaultChanged("rpc:<host>")`` for data
    faults."""
    last: tuple[Any, ...] | None = None
    faults: dict[str, str] = {}
    task_status.started()
    async with events_send:
        next_probe = trio.current_time()
        while True:
            if trio.current_time() >= next_probe:
                await rpc.probe_heads()
                next_probe = trio.current_time() + interval_s
            health = rpc.health()
            path = rpc.path
            for e in health:
                if e.reason != faults.get(e.host, ""):
                    if e.reason:
                        await events_send.send(FaultChanged(f"rpc:{e.host}", True, e.reason))
                    else:
                        await events_send.send(FaultChanged(f"rpc:{e.host}", False))
                    faults[e.host] = e.reason
            key = (path, *((e.host, e.healthy, e.lagging, e.breaker, e.stream) for e in health))
            if key != last:
                last = key
                await events_send.send(RpcHealthChanged(health, path))
            with trio.move_on_at(next_probe):
                await rpc.wait_changed()


@dataclass(frozen=True, slots=True)
class _Read:
    """One block's reserves and where they came from."""

    reserves: dict[str, tuple[int, int]]
    full: bool  # every pool's getReserves (else: the block's changes only)
    source: str  # "stream" (the subscription, no request), "logs" (eth_getLogs) or "full"
    swaps: tuple[Log, ...] | None  # the block's Swap logs when the source carried them


async def _reserves(
    rpc: RpcPool,
    block: BlockSeen,
    pools: Sequence[PoolInfo],
    *,
    full: bool,
    multicall: str | None,
    retry_s: float,
    streamed: StreamedBlocks | None = None,
    with_swaps: bool = False,
    driven: Sequence[PoolInfo] = (),
    state_logs: list | None = None,
    topics: Sequence[str] = (),
) -> _Read:
    """Reserves of ``block`` (retried until they come: a block is never skipped).

    ``with_swaps``: a logs request also asks for the block's Swap logs (market intelligence),
    the subscription carries them anyway; a full read has none (``swaps`` is None).
    ``driven`` (log-driven pools, V3): their state logs (``topics``) ride on the same logs
    request into ``state_logs``; a streamed block skips the request only when its bloom shows
    none of them.
    """
    if state_logs is not None:
        state_logs.clear()
    if not full and streamed is not None and streamed.knows(block.hash):
        addresses = [p.address for p in pools]
        known = streamed.reserves(block.hash, addresses)
        if known is not None and not streamed.may_touch(block.hash, [p.address for p in driven]):
            # from the subscription: no request
            return _Read(known, False, "stream", streamed.swaps(block.hash, addresses))
    failures = 0
    while True:
        use_full = full or failures >= _FULL_AFTER_LOG_FAILURES
        try:
            if use_full:
                got = await fetch_reserves_full(rpc, block.hash, pools, multicall=multicall)
                return _Read(got, True, "full", None)
            if state_logs is not None:
                state_logs.clear()
            swaps: list[Log] | None = [] if with_swaps else None
            got = await fetch_reserves_by_logs(
                rpc,
                block.hash,
                (*pools, *driven),
                swaps=swaps,
                state_logs=state_logs if driven else None,
                state_topics=topics,
            )
            return _Read(got, False, "logs", None if swaps is None else tuple(swaps))
        except ChainError as exc:
            failures += 1
            log.warning(
                "reserves of block %d (%s) failed %d times: %s",
                block.number,
                "full" if use_full else "logs",
                failures,
                exc,
            )
            await trio.sleep(min(retry_s * 2 ** min(failures - 1, 6), 2.0))


async def run_chain(
    cfg: Any,
    rpc: RpcPool,
    pools: Sequence[PoolInfo],
    events_send: trio.MemorySendChannel,
    *,
    swaps_send: trio.MemorySendChannel | None = None,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Follow the chain and emit BlockSeen/ReorgDetected/ReservesUpdated/RpcHealthChanged.

    ``cfg`` is the :class:`AppConfig` (or its ``ChainConfig``). Runs until cancelled; RPC
    failures are retried, never fatal. ``task_status.started()`` once the first head is known.
    ``swaps_send`` (market intelligence) gets each changed block's Swap logs as
    :class:`SwapLogsSeen`: from the subscription or the block's own logs request, whichever
    carried its reserves, and from one Swap-only request after a full read; best effort — a
    full channel drops the block's swaps (logged), it never delays the reserves.
    """
    chain = _chain_cfg(cfg)
    pools = tuple(pools)
    trackers: dict = {}  # log-driven kind -> its state tracker (V3 windows)
    reserve_pools, driven = split_by_state(pools, trackers)
    driven_pools = tuple(p for group in driven.values() for p in group)
    interval = poll_interval(chain.block_time_s)
    heads_send, heads_recv = trio.open_memory_channel[BlockSeen | ReorgDetected](64)
    watched = WatchedPools([p.address for p in pools])
    streamed = StreamedBlocks(watched)
    async with trio.open_nursery() as nursery:
        health_interval = max(chain.block_time_s, 0.5)
        await nursery.start(
            partial(run_rpc_health, rpc, events_send.clone(), interval_s=health_interval)
        )
        streams_recv = None
        streaming = [ep for ep in rpc.endpoints if ep.ws_url]
        if streaming:
            streams_send, streams_recv = trio.open_memory_channel[Any](64)
            async with streams_send:
                for ep in streaming:
                    await nursery.start(
                        partial(
                            run_stream,
                            rpc,
                            ep,
                            streams_send.clone(),
                            streamed,
                            block_time_s=chain.block_time_s,
                            timeout_s=chain.request_timeout_s,
                            max_message_bytes=chain.max_response_bytes,
                            best_head=lambda: rpc.best_head,
                        )
                    )
        await nursery.start(
            partial(
                run_head_follower,
                rpc,
                heads_send,
                block_time_s=chain.block_time_s,
                streams=streams_recv,
            )
        )
        later = _Later(swaps_delay_s(chain.block_time_s))
        nursery.start_soon(later.run)
        checks = RefreshCheck(
            rpc, streamed, multicall=chain.multicall, delay_s=swaps_delay_s(chain.block_time_s)
        )
        task_status.started()
        known: dict[str, tuple[int, int]] = {}
        full_next = True
        last_check = -1
        watch = cfg if hasattr(cfg, "dex") and hasattr(cfg, "tokens") else None
        last_pair_check: int | None = None
        async with heads_recv:
            async for event in heads_recv:
                if isinstance(event, ReorgDetected):
                    await events_send.send(event)
                    checks.reorged()
                    full_next = True
                    continue
                await events_send.send(event)
                periodic = (
                    last_check >= 0 and event.number - last_check >= chain.full_refresh_blocks
                )
                if checks.failed:  # the last check's read failed: again now
                    checks.failed = False
                    periodic = last_check >= 0
                if checks.disagreed:  # the full values win, at this block
                    checks.disagreed = False
                    full_next = True
                if watch is not None and (full_next or periodic):
                    if last_pair_check is None:
                        last_pair_check = event.number - 1
                    found = await _new_pools(rpc, watch, pools, last_pair_check + 1, event)
                    if found is not None:
                        last_pair_check = event.number
                        if found.pools:
                            pools = pools + found.pools
                            reserve_pools, driven = split_by_state(pools, trackers)
                            driven_pools = tuple(p for group in driven.values() for p in group)
                            watched.update([p.address for p in found.pools])
                            await events_send.send(found)
                            full_next = True  # the new pools' reserves: every pool read
                if streamed.late:  # a streamed log came after its block was applied
                    streamed.late = False
                    full_next = True
                state_logs: list = []
                topics = state_topics(driven)
                read = await _reserves(
                    rpc,
                    event,
                    reserve_pools,
                    full=full_next,
                    multicall=chain.multicall,
                    retry_s=interval,
                    streamed=streamed,
                    with_swaps=swaps_send is not None,
                    driven=driven_pools,
                    state_logs=state_logs,
                    topics=topics,
                )
                reserves, full, swaps = read.reserves, read.full, read.swaps
                if driven:  # V3 pools: their logs (same request) or snapshots, before reserves
                    states = await _pool_states(
                        rpc,
                        event,
                        trackers,
                        driven,
                        state_logs,
                        full=full or periodic,
                        retry_s=interval,
                    )
                    if states is not None:
                        await events_send.send(states)
                if full:
                    known = dict(reserves)
                    last_check = event.number
                    full_next = False
                else:
                    known.update(reserves)
                    if periodic:  # the log path checked against a full read, off this path
                        checks.offer(nursery, event, reserve_pools, known)
                        last_check = event.number
                await events_send.send(
                    ReservesUpdated(event.number, event.hash, reserves, full=full)
                )
                if swaps_send is not None and (reserves or state_logs):
                    later.offer(
                        partial(
                            _offer_swaps,
                            rpc,
                            swaps_send,
                            event,
                            pools,
                            swaps,
                            state_logs,
                            unread=(driven_pools, topics) if full else ((), ()),
                        )
                    )


def swaps_delay_s(block_time_s: float) -> float:
    """How long after its reserves a block's Swap logs go to market intelligence: a quarter
    block, at most 0.25 s — after the block's own path to a signature (p99 ~20 ms), before the
    next block."""
    return min(0.25, block_time_s / 4)


class _Later:
    """The block's work that is not on its way to a signature (market intelligence: its
    receipts request and classification took up to 6 ms of the loop right when the block's
    order was being made): each job runs ``delay_s`` after it was offered, in offer order, one
    at a time. Best effort, like intelligence itself: a full queue drops the job (logged)."""

    def __init__(self, delay_s: float, size: int = 64) -> None:
        self.delay_s = delay_s
        self._send, self._recv = trio.open_memory_channel[tuple[float, Any]](size)

    def offer(self, job: Any) -> None:
        try:
            self._send.send_nowait((trio.current_time() + self.delay_s, job))
        except trio.WouldBlock:
            log.warning("market intelligence is behind: a block's swaps dropped")

    async def run(self) -> None:
        async for due, job in self._recv:
            await trio.sleep_until(due)
            await job()


async def _pool_states(
    rpc: RpcPool, block: BlockSeen, trackers, driven, state_logs, *, full: bool, retry_s: float
) -> PoolStatesUpdated | None:
    """The log-driven pools' changes of ``block`` (retried until they come, like reserves)."""
    failures = 0
    while True:
        try:
            return await fetch_pool_states(
                rpc, block.number, block.hash, trackers, driven, state_logs, full=full
            )
        except ChainError as exc:
            failures += 1
            log.warning(
                "V3 pool states of block %d failed %d times: %s", block.number, failures, exc
            )
            await trio.sleep(min(retry_s * 2 ** min(failures - 1, 6), 2.0))


async def _offer_swaps(
    rpc: RpcPool,
    swaps_send: trio.MemorySendChannel,
    event: BlockSeen,
    pools: Sequence[PoolInfo],
    swaps: tuple[Log, ...] | None,
    state_logs: Sequence[Log] = (),
    *,
    unread: tuple[Sequence[PoolInfo], Sequence[str]] = ((), ()),
) -> None:
    """Hand the block's Swap logs to market intelligence without ever waiting on it.

    ``swaps``: what the reserves' source carried (the subscription or the logs request); None
    after a full read, which carries none: then one Swap-only request for this changed block.
    ``state_logs``: the log-driven (V3) pools' logs of the same request, which hold their Swaps.
    ``unread``: log-driven pools and their state topics whose logs this block's read did not
    carry (a full read takes their snapshots instead): asked in that same one request.
    """
    driven, topics = unread
    if swaps is None or driven:
        v2: list[Log] = []
        v3: list[Log] = []
        try:
            await fetch_reserves_by_logs(
                rpc,
                event.hash,
                list(
                    dict.fromkeys(p.address for p in (*(pools if swaps is None else ()), *driven))
                ),
                swaps=v2 if swaps is None else None,
                topics=(),
                state_logs=v3 if driven else None,
                state_topics=topics if driven else (),
            )
        except ChainError as exc:
            log.warning("swap logs of block %d skipped: %s", event.number, exc)
            return
        swaps = tuple(v2) if swaps is None else swaps
        state_logs = (*state_logs, *v3)
    found = (*swaps, *state_logs)
    if not found:
        return
    try:
        swaps_send.send_nowait(SwapLogsSeen(event.number, tuple(found)))
    except trio.WouldBlock:
        log.warning("market intelligence is behind: swaps of block %d dropped", event.number)


async def _new_pools(
    rpc: RpcPool, cfg: Any, pools: Sequence[PoolInfo], from_block: int, block: BlockSeen
) -> PoolsDiscovered | None:
    """Pools created (PairCreated) in ``from_block..block`` among the watched tokens, with their
    tokens' metadata; None when the check failed (it is repeated at the next full refresh)."""
    deny = set(cfg.tokens.deny)
    tokens = [t for t in (*cfg.tokens.base, *(cfg.tokens.allow or ())) if t not in deny]
    known = {p.address for p in pools}
    try:
        created = await pairs_created(
            rpc, cfg.dex, tokens, from_block=from_block, to_block=block.number
        )
        fresh = {p.address for p in created if p.address not in known}
        if not fresh:
            return PoolsDiscovered((), ())
        dexes = [d for d in cfg.dex if d.name in {p.dex for p in created if p.address in fresh}]
        needed = sorted({t for p in created if p.address in fresh for t in (p.token0, p.token1)})
        infos, found = await discover(rpc, dexes, needed, block=block.hash)
    except ChainError as exc:
        log.warning("PairCreated check of blocks %d..%d failed: %s", from_block, block.number, exc)
        return None
    new = tuple(p for p in found if p.address in fresh)
    seen = {t for p in pools for t in (p.token0, p.token1)}  # announced with earlier pools
    log.info("new pools at block %d: %s", block.number, [p.address for p in new])
    return PoolsDiscovered(tuple(t for t in infos if t.address not in seen), new)
