"""V3 pools as a pool kind against the real Uniswap V3 factory and pools (npm) on Anvil.

Discovery asks the real factory (``getPool`` per pair and tier, ``PoolCreated`` for new ones);
the state path is the production one — the block's one ``eth_getLogs`` with the V3 topics
added, :func:`fetch_pool_states`, :meth:`MarketState.apply_states` — and after every block the
market state must quote exactly what the real QuoterV2 quotes on the chain.
"""

from __future__ import annotations

import random

import pytest

from appliance.chain.discovery import discover, pairs_created
from appliance.chain.reserves import (
    fetch_pool_states,
    fetch_reserves_by_logs,
    split_by_state,
    state_topics,
)
from appliance.config import DexConfig
from appliance.devnet._abi import calldata
from appliance.events import PoolsDiscovered, PoolStatesUpdated
from appliance.market import MarketState
from appliance.market.kinds import pool_kind
from appliance.market.v3math import get_sqrt_ratio_at_tick
from tests.integration.chain.chain_helpers import pool_of

pytestmark = pytest.mark.devnet

TIERS = (100, 500, 3000, 10000)


def _dexes(dn) -> list[DexConfig]:
    v2 = [DexConfig(name=d.name, factory=d.factory, fee_bps=d.fee_bps) for d in dn.dexes]
    return [*v2, DexConfig(name="univ3", factory=dn.v3.factory, kind="uniswap_v3", fee_tiers=TIERS)]


async def _discovered(dn, rpc):
    tokens = [t.address for t in dn.tokens.values()]
    infos, pools = await discover(rpc, _dexes(dn), tokens)
    return infos, pools


async def test_discovery_finds_the_v3_pools_beside_the_v2_pairs(devnet_v3) -> None:
    dn = devnet_v3
    async with pool_of(dn.rpc) as rpc:
        _, pools = await _discovered(dn, rpc)
        only_500 = DexConfig(
            name="univ3", factory=dn.v3.factory, kind="uniswap_v3", fee_tiers=(500,)
        )
        _, some = await discover(rpc, [only_500], [t.address for t in dn.tokens.values()])
    v3 = {p.address: p for p in pools if p.kind == "uniswap_v3"}
    assert set(v3) == {p.address for p in dn.v3.pools}
    for p in dn.v3.pools:
        got = v3[p.address]
        assert (got.token0, got.token1, got.fee_bps, got.dex) == (
            p.token0,
            p.token1,
            p.fee // 100,
            "univ3",
        )
    assert {p for p in pools if p.kind == "uniswap_v2"} == set(dn.pools)
    assert {p.address for p in some} == {p.address for p in dn.v3.pools if p.fee == 500}


async def test_a_new_v3_pool_comes_from_its_pool_created_log(devnet_v3) -> None:
    dn = devnet_v3
    existing = {(p.token0, p.token1, p.fee) for p in dn.v3.pools}
    symbols = sorted(dn.tokens)
    a, b = next(
        (dn.tokens[x].address, dn.tokens[y].address)
        for x in symbols
        for y in symbols
        if x < y and (min(dn.tokens[x].address, dn.tokens[y].address, key=lambda s: int(s, 16)),
                      max(dn.tokens[x].address, dn.tokens[y].address, key=lambda s: int(s, 16)),
                      3000) not in existing
    )  # fmt: skip
    async with pool_of(dn.rpc) as rpc:
        start = (await rpc.get_block("latest")).number
        data = calldata("createPool(address,address,uint24)", a, b, 3000)
        await dn.send_tx("deployer", dn.v3.factory, data)
        created = await pairs_created(
            rpc, _dexes(dn), [t.address for t in dn.tokens.values()], from_block=start + 1,
            to_block="latest",
        )  # fmt: skip
    assert len(created) == 1
    (pool,) = created
    assert (pool.kind, pool.fee_bps, {pool.token0, pool.token1}) == ("uniswap_v3", 30, {a, b})


async def test_logs_keep_the_v3_state_equal_to_the_chain_block_after_block(devnet_v3) -> None:
    dn = devnet_v3
    rng = random.Random(5)
    async with pool_of(dn.rpc) as rpc:
        infos, pools = await _discovered(dn, rpc)
        market = MarketState()
        market.set_pools(PoolsDiscovered(infos, pools))
        trackers: dict = {}
        reserve_pools, driven = split_by_state(pools, trackers)
        topics = state_topics(driven)
        head = await rpc.get_block("latest")
        first = await fetch_pool_states(
            rpc, head.number, head.hash, trackers, driven, None, full=True
        )
        assert first is not None and set(first.snapshots) == {p.address for p in dn.v3.pools}
        market.apply_states(first)
        calls = {"n": 0}
        real_run = rpc.run

        async def counted(*args, **kw):
            calls["n"] += 1
            return await real_run(*args, **kw)

        rpc.run = counted  # counts the production path's requests (a wrapper, not a stand-in)
        refetched = quiet_blocks = quoted = 0
        for step in range(24):
            pool = rng.choice(dn.v3.pools)
            action = rng.random()
            if step == 10:  # a swap far past the window: the tracker must read it again
                weth = dn.tokens["WETH"].address
                zero_for_one = pool.token0 != weth  # pay the token the owner has plenty of
                _, tick, _ = await dn.v3.read_head(pool)
                far = 3 * 256 * pool.tick_spacing * (-1 if zero_for_one else 1)
                limit = get_sqrt_ratio_at_tick(tick + far)
                await dn.v3.swap(pool, zero_for_one, 10**36, limit)
            elif action < 0.6:
                zero_for_one = rng.random() < 0.5
                _, tick, _ = await dn.v3.read_head(pool)
                reach = rng.choice([1, 5, 40]) * pool.tick_spacing
                target = get_sqrt_ratio_at_tick(tick - reach if zero_for_one else tick + reach)
                await dn.v3.swap(pool, zero_for_one, 2**200, target)
            elif action < 0.8:
                spacing = pool.tick_spacing
                _, tick, _ = await dn.v3.read_head(pool)
                lower = (tick // spacing - rng.randint(1, 30)) * spacing
                await dn.v3.mint(pool, lower, lower + rng.randint(1, 60) * spacing, 10**18)
            else:
                pos = rng.choice(pool.positions)
                await dn.v3.burn(pool, pos.tick_lower, pos.tick_upper, pos.liquidity // 10)
            block = await rpc.get_block("latest")
            before = calls["n"]
            logs: list = []
            await fetch_reserves_by_logs(
                rpc, block.hash, (*reserve_pools, *(p for g in driven.values() for p in g)),
                state_logs=logs, state_topics=topics,
            )  # fmt: skip
            states = await fetch_pool_states(
                rpc, block.number, block.hash, trackers, driven, logs, full=False
            )
            assert isinstance(states, PoolStatesUpdated)
            refetched += bool(states.snapshots)
            if not states.snapshots:
                assert calls["n"] - before == 1  # the block's one logs request, nothing more
                quiet_blocks += 1
            market.apply_states(states)
            quoted += await _check_quotes(dn, market, rng)
        assert refetched >= 1 and quiet_blocks >= 15 and quoted >= 100


async def _check_quotes(dn, market: MarketState, rng: random.Random) -> int:
    """Every V3 pool of the market quotes what QuoterV2 quotes now (inside its window)."""
    requests, mine = [], []
    kind = pool_kind("uniswap_v3")
    for pool in dn.v3.pools:
        pid = market.pool_ids[pool.address]
        window = market.held[pid]
        chain = await dn.v3.read_head(pool)
        assert (window.sqrt_price_x96, window.tick, window.liquidity) == chain
        for zero_for_one in (True, False):
            amount = 10 ** rng.randint(6, 20)
            got = kind.quoter(market, pid, zero_for_one)(amount)
            if got is not None:
                requests.append((pool, zero_for_one, True, amount, 0))
                mine.append(got)
    answers = await dn.v3.quotes(requests)
    assert [a[0] if a else None for a in answers] == mine
    return len(mine)
