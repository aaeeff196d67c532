"""Shared helpers of the chain integration tests (imported by path, not a fixture module)."""

from __future__ import annotations

import itertools
from contextlib import asynccontextmanager

import trio

from appliance.chain import RpcClient, RpcPool, open_rpc_pool
from appliance.chain.service import run_chain
from appliance.events import BlockSeen, ReorgDetected, ReservesUpdated

GUARD_S = 30  # hang guard only: nothing here is a timed assertion


@asynccontextmanager
async def pool_of(*urls: str, timeout_s: float = 2.0, **kw):
    clients = [RpcClient(u, timeout_s=timeout_s, max_response_bytes=16_000_000) for u in urls]
    for c in clients:
        await c.__aenter__()
    try:
        yield RpcPool(clients, **kw)
    finally:
        for c in clients:
            await c.aclose()


def check_stream(events, first: int, last: int) -> dict[str, tuple[int, int]]:
    """Every block first..last exactly once, in order, each followed by its reserves."""
    chain = [e for e in events if isinstance(e, (BlockSeen, ReservesUpdated, ReorgDetected))]
    assert not [e for e in chain if isinstance(e, ReorgDetected)]
    blocks = [e for e in chain if isinstance(e, BlockSeen)]
    assert [b.number for b in blocks] == list(range(first, last + 1))
    state: dict[str, tuple[int, int]] = {}
    for block, update in zip(chain[0::2], chain[1::2], strict=True):
        assert isinstance(block, BlockSeen) and isinstance(update, ReservesUpdated)
        assert (update.block, update.block_hash) == (block.number, block.hash)
        if update.full:
            state = dict(update.reserves)
        else:
            state.update(update.reserves)
    for prev, block in itertools.pairwise(blocks):
        assert block.parent_hash == prev.hash
    return state


@asynccontextmanager
async def chain_stream(devnet, cfg, *, buffer: int = 2000):
    """``run_chain`` (the production path) on ``cfg``'s endpoints over ``devnet``'s pools:
    yields ``(rpc, recv, events, first)`` — the pool, the records channel, the list
    :func:`until` appends to, and the head before the start; stopped on exit."""
    send, recv = trio.open_memory_channel(buffer)
    events: list = []
    async with open_rpc_pool(cfg) as rpc, trio.open_nursery() as inner:
        first = await devnet.block_number()
        await inner.start(run_chain, cfg, rpc, devnet.pools, send)
        yield rpc, recv, events, first
        inner.cancel_scope.cancel()


async def until(recv, events: list, predicate, *, since: int | None = None) -> object:
    """The first event matching ``predicate`` among those received since index ``since``
    (default: only new ones), receiving more as needed; all are appended to ``events``."""
    if since is not None:
        for event in events[since:]:
            if predicate(event):
                return event
    with trio.fail_after(GUARD_S):
        async for event in recv:
            events.append(event)
            if predicate(event):
                return event
    raise AssertionError("channel closed")


def reserves_of(number: int):
    """Matches the reserves of block ``number`` or a later one."""
    return lambda e: isinstance(e, ReservesUpdated) and e.block >= number
