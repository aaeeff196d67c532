"""Reorgs on Anvil (``anvil_reorg``): the right common ancestor, then state rolled back."""

from __future__ import annotations

import pytest
import trio
from chain_helpers import pool_of

from appliance.chain.heads import HeadFollower
from appliance.chain.service import run_chain
from appliance.config import ChainConfig
from appliance.events import BlockSeen, ReorgDetected, ReservesUpdated

pytestmark = pytest.mark.devnet


async def next_of(recv, kind, predicate=lambda e: True):
    async for event in recv:
        if isinstance(event, kind) and predicate(event):
            return event
    raise AssertionError("channel closed")


async def test_follower_reports_the_common_ancestor(devnet):
    async with pool_of(devnet.rpc) as rpc:
        follower = HeadFollower(rpc)
        [first] = await follower.poll()
        await devnet.mine(2)
        # a transaction in the first reorged block: empty replacement blocks could otherwise be
        # byte-identical to the originals (same parent, same second) and so not a reorg at all
        await devnet.swap("uniswap", "WETH", "USDC", 10**17)
        await devnet.mine(2)
        seen = await follower.poll()
        assert [b.number for b in seen] == list(range(first.number + 1, first.number + 6))
        old_hashes = {b.number: b.hash for b in seen}
        await devnet.call("anvil_reorg", [3, []])
        events = await follower.poll()
        reorg, *replacements = events
        assert isinstance(reorg, ReorgDetected)
        assert reorg.common_ancestor == first.number + 2
        assert reorg.old_head == first.number + 5
        assert [b.number for b in replacements] == [
            first.number + 3,
            first.number + 4,
            first.number + 5,
        ]
        assert all(b.hash != old_hashes[b.number] for b in replacements)
        assert replacements[0].parent_hash == old_hashes[first.number + 2]
        assert reorg.new_head == replacements[-1]
        assert await follower.poll() == []  # settled


async def test_reorg_rolls_back_reserves(devnet):
    pool = devnet.pool("uniswap", "WETH", "USDC")
    before = await devnet.reserves(pool)
    cfg = ChainConfig(chain_id=devnet.chain_id, rpc=(devnet.rpc,), block_time_s=0.2)
    send, recv = trio.open_memory_channel(1000)
    async with pool_of(devnet.rpc) as rpc, trio.open_nursery() as nursery:
        await nursery.start(run_chain, cfg, rpc, devnet.pools, send)
        start = await next_of(recv, ReservesUpdated)
        assert start.full and start.reserves[pool.address] == before
        await devnet.swap("uniswap", "WETH", "USDC", 10**18)  # mined in start.block + 1
        swapped = await next_of(recv, ReservesUpdated, lambda e: e.block == start.block + 1)
        assert not swapped.full and swapped.reserves[pool.address] != before
        await devnet.mine(2)
        await next_of(recv, ReservesUpdated, lambda e: e.block == start.block + 3)

        await devnet.call("anvil_reorg", [3, []])  # replaces the swap's block and the two after it

        reorg = await next_of(recv, ReorgDetected)
        assert reorg.common_ancestor == start.block
        assert reorg.old_head == start.block + 3
        block = await next_of(recv, BlockSeen)
        assert block.number == start.block + 1 and block.parent_hash == start.block_hash
        refreshed = await next_of(recv, ReservesUpdated)
        assert refreshed.full and refreshed.block == block.number
        assert refreshed.reserves[pool.address] == before  # the swap is gone
        assert refreshed.reserves == await devnet.all_reserves()
        nursery.cancel_scope.cancel()


async def test_new_pool_is_announced_at_the_next_full_refresh(devnet):
    import dataclasses

    from appliance.config import load_config
    from appliance.devnet._abi import calldata
    from appliance.events import PoolsDiscovered

    cfg = load_config(devnet.config_path)
    cfg = dataclasses.replace(
        cfg, chain=dataclasses.replace(cfg.chain, full_refresh_blocks=3, block_time_s=0.2)
    )
    existing = {(p.dex, frozenset((p.token0, p.token1))) for p in devnet.pools}
    dex = devnet.dexes[1]
    allowed = list(cfg.tokens.allow)
    missing = next(
        (a, b)
        for i, a in enumerate(allowed)
        for b in allowed[i + 1 :]
        if (dex.name, frozenset((a, b))) not in existing
    )
    send, recv = trio.open_memory_channel(1000)
    async with pool_of(devnet.rpc) as rpc, trio.open_nursery() as nursery:
        await nursery.start(run_chain, cfg, rpc, devnet.pools, send)
        start = await next_of(recv, ReservesUpdated)
        await devnet.send_tx(
            "deployer", dex.factory, calldata("createPair(address,address)", *missing)
        )
        await devnet.mine(3)
        announced = await next_of(recv, PoolsDiscovered)
        [pool] = announced.pools
        assert pool.dex == dex.name and {pool.token0, pool.token1} == set(missing)
        known = {t for p in devnet.pools for t in (p.token0, p.token1)}
        assert {t.address for t in announced.tokens} == set(missing) - known
        refreshed = await next_of(recv, ReservesUpdated)
        assert refreshed.full and refreshed.block > start.block
        assert refreshed.reserves[pool.address] == (0, 0)
        nursery.cancel_scope.cancel()
