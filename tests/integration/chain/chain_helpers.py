"""Shared helpers of the chain integration tests (imported by path, not a fixture module)."""

from __future__ import annotations

import itertools
from contextlib import asynccontextmanager

from appliance.chain import RpcClient, RpcPool
from appliance.events import BlockSeen, ReorgDetected, ReservesUpdated


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
