"""Exactness against the real Uniswap V2 contracts on Anvil, and detection on a real market."""

from __future__ import annotations

import random

import pytest

from appliance.config import load_config
from appliance.devnet._abi import calldata, decode_words
from appliance.events import PoolsDiscovered, ReservesUpdated
from appliance.market import get_amount_out, get_amounts_out
from appliance.strategy import Detector

pytestmark = pytest.mark.devnet

GWEI = 10**9


async def router_amounts(dn, requests):
    """Batched ``getAmountsOut`` calls: [(router, amount_in, [addresses])] -> [[amounts]]."""
    async with dn.client() as rpc:
        answers = await rpc.batch(
            [
                (
                    "eth_call",
                    [
                        {
                            "to": router,
                            "data": calldata("getAmountsOut(uint256,address[])", amount, path),
                        },
                        "latest",
                    ],
                )
                for router, amount, path in requests
            ]
        )
    return [list(decode_words(["uint256[]"], a)[0]) for a in answers]


async def test_get_amount_out_equals_the_router_on_random_onchain_cases(devnet):
    dn = devnet
    rng = random.Random(4)
    routers = {d.name: d.router for d in dn.dexes}
    by_symbol = {t.address: s for s, t in dn.tokens.items()}
    checked = 0
    for round_ in range(6):
        if round_:  # move the reserves with real swaps between rounds
            for _ in range(6):
                pool = rng.choice(dn.pools)
                t_in, t_out = (
                    (pool.token0, pool.token1) if rng.random() < 0.5 else (pool.token1, pool.token0)
                )
                r_in = (await dn.reserves(pool))[0 if t_in == pool.token0 else 1]
                balance = await dn.balance(by_symbol[t_in], "simulator")
                amount = min(balance, int(r_in * rng.uniform(0.001, 0.2))) or 1
                await dn.swap(pool.dex, by_symbol[t_in], by_symbol[t_out], amount)
        reserves = await dn.all_reserves()
        requests, expected = [], []
        for _ in range(40):
            pool = rng.choice(dn.pools)
            zfo = rng.random() < 0.5
            r0, r1 = reserves[pool.address]
            r_in, r_out = (r0, r1) if zfo else (r1, r0)
            t_in, t_out = (pool.token0, pool.token1) if zfo else (pool.token1, pool.token0)
            amount = max(1, int(r_in * 10 ** rng.uniform(-12, 0.5)))
            requests.append((routers[pool.dex], amount, [t_in, t_out]))
            expected.append([amount, get_amount_out(amount, r_in, r_out, pool.fee_bps)])
        # two-hop paths through one router, checked against get_amounts_out
        for _ in range(10):
            dex = rng.choice(list(routers))
            pools = [p for p in dn.pools if p.dex == dex]
            p1 = rng.choice(pools)
            t_in, mid = (p1.token0, p1.token1) if rng.random() < 0.5 else (p1.token1, p1.token0)
            nxt = [
                p
                for p in pools
                if mid in (p.token0, p.token1) and p is not p1 and t_in not in (p.token0, p.token1)
            ]
            if not nxt:
                continue
            p2 = rng.choice(nxt)
            t_out = p2.token1 if p2.token0 == mid else p2.token0
            hops = []
            for p, a in ((p1, t_in), (p2, mid)):
                r0, r1 = reserves[p.address]
                hops.append((r0, r1, p.fee_bps) if a == p.token0 else (r1, r0, p.fee_bps))
            amount = max(1, int(hops[0][0] * 10 ** rng.uniform(-9, -1)))
            requests.append((routers[dex], amount, [t_in, mid, t_out]))
            expected.append(get_amounts_out(amount, hops))
        got = await router_amounts(dn, requests)
        assert got == expected
        checked += len(got)
    assert checked >= 250


def _pool_event(dn) -> PoolsDiscovered:
    return PoolsDiscovered(tuple(dn.tokens.values()), tuple(dn.pools))


async def test_detector_candidate_legs_equal_the_routers_after_a_planted_dislocation(devnet):
    dn = devnet
    cfg = load_config(dn.config_path)
    det = Detector(cfg, size_caps={dn.weth: 10**22})
    det.on_pools(_pool_event(dn))
    block = await dn.block_number()
    det.on_reserves(ReservesUpdated(block, "0x" + "00" * 32, await dn.all_reserves(), True), GWEI)
    # a whale dumps USDC for WETH on one DEX: WETH is cheap there in USDC terms
    balance = await dn.balance("USDC", "simulator")
    pool = dn.pool("uniswap", "WETH", "USDC")
    r_usdc = (await dn.reserves(pool))[0 if pool.token0 == dn.token("USDC").address else 1]
    await dn.swap("uniswap", "USDC", "WETH", min(balance, r_usdc // 5))
    block = await dn.block_number()
    found = det.on_reserves(ReservesUpdated(block, "0x" + "11" * 32, await dn.all_reserves()), GWEI)
    assert found is not None and found.candidates
    routers = {d.name: d.router for d in dn.dexes}
    dex_of = {p.address: p.dex for p in dn.pools}
    for cand in found.candidates:
        assert cand.net_profit > 0
        amount, outs = cand.amount_in, []
        for leg in cand.legs:
            (got,) = await router_amounts(
                dn, [(routers[dex_of[leg.pool]], amount, [leg.token_in, leg.token_out])]
            )
            amount = got[-1]
            outs.append(amount)
        assert tuple(outs) == cand.amounts
    assert any(pool.address in c.pools for c in found.candidates)
