"""The detector end to end on an in-memory market (NoiseMarket: exact V2 swaps, no node)."""

from __future__ import annotations

import dataclasses

import pytest

from appliance.config import AppConfig
from appliance.events import BlockSeen, ReorgDetected
from appliance.market import get_amounts_out
from appliance.market.synthetic import NoiseMarket
from appliance.strategy import Detector

GWEI = 10**9


def make_cfg(market: NoiseMarket, **strategy) -> AppConfig:
    return market.app_config(**strategy)


def independent_check(market: NoiseMarket, cand, base_fee: int, cfg: AppConfig) -> None:
    """Re-derive the candidate from the simulation's own reserves, not the detector's."""
    by_address = {p.address: p for p in market.pools}
    hops = []
    for leg in cand.legs:
        pool = by_address[leg.pool]
        r0, r1 = market.reserves[leg.pool]
        hops.append(
            (r0, r1, pool.fee_bps) if leg.token_in == pool.token0 else (r1, r0, pool.fee_bps)
        )
        assert leg.fee_bps == pool.fee_bps
    amounts = get_amounts_out(cand.amount_in, hops)
    assert tuple(amounts[1:]) == cand.amounts
    assert cand.amount_out == amounts[-1]
    assert cand.legs[0].token_in == cand.legs[-1].token_out == cand.base_token
    gas_units = cfg.strategy.gas_overhead + cfg.strategy.gas_per_hop * len(cand.legs)
    assert cand.gas_estimate == gas_units
    gas_native = gas_units * (base_fee + GWEI)
    if cand.base_token == market.base[0]:
        assert cand.gas_cost == gas_native
    else:  # never cheaper than the spot value of the gas in the deepest native pool
        spot = min(
            market.reserves[p.address][0 if p.token0 == cand.base_token else 1]
            / market.reserves[p.address][1 if p.token0 == cand.base_token else 0]
            for p in market.pools
            if {p.token0, p.token1} == {cand.base_token, market.base[0]}
        )
        assert cand.gas_cost >= gas_native * spot * 0.99
    assert amounts[-1] - cand.amount_in - cand.gas_cost > 0


def test_no_false_positives_over_1000_blocks_of_a_balanced_market():
    market = NoiseMarket(n_tokens=10, n_base=2, extra_pairs=6, seed=11)
    cfg = make_cfg(market)
    det = Detector(cfg)
    det.on_pools(market.discovered())
    assert det.on_reserves(market.snapshot(), 10 * GWEI) is None  # balanced at the start
    found_blocks = 0
    for _ in range(1000):
        event = market.step(trades=4, max_fraction=0.01)
        base_fee = 5 * GWEI + market.rng.randrange(20 * GWEI)
        found = det.on_reserves(event, base_fee, seen_at=1.5)
        if found is None:
            continue
        found_blocks += 1
        assert found.block == event.block and found.seen_at == 1.5
        used = [p for c in found.candidates for p in c.pools]
        assert len(used) == len(set(used))  # one order per pool per block
        nets = [c.net_profit for c in found.candidates]
        assert all(n > 0 for n in nets)
        for cand in found.candidates:
            independent_check(market, cand, base_fee, cfg)
            assert market.execute(cand) == cand.amount_out  # the pools pay exactly that
    assert found_blocks > 20  # the noise does create real opportunities, and they are taken
    assert det.stats.blocks == 1001


def test_a_quiet_balanced_market_yields_nothing():
    market = NoiseMarket(n_tokens=12, seed=4)
    det = Detector(make_cfg(market, max_hops=4))
    det.on_pools(market.discovered())
    assert det.on_reserves(market.snapshot(), GWEI) is None
    assert len(det.cycles) > 100


def test_a_planted_dislocation_is_found_and_sized_exactly():
    market = NoiseMarket(n_tokens=6, seed=2)
    det = Detector(make_cfg(market))
    det.on_pools(market.discovered())
    det.on_reserves(market.snapshot(), GWEI)
    pool = next(p for p in market.pools if market.base[0] in (p.token0, p.token1))
    r = market.reserves[pool.address]
    zfo = pool.token0 != market.base[0]  # sell the other token into the pool: base gets cheap
    market.swap(pool, zfo, r[0 if zfo else 1] // 10)
    found = det.on_reserves(market.step(trades=0), GWEI)
    assert found is not None
    best = found.candidates[0]
    assert pool.address in best.pools
    independent_check(market, best, GWEI, det_cfg := make_cfg(market))
    assert det_cfg.strategy.top_n == 10


def test_size_caps_and_inventory_bound_the_input():
    market = NoiseMarket(n_tokens=6, seed=2)
    weth = market.base[0]
    det = Detector(make_cfg(market), size_caps={weth: 10**17}, inventory={weth: 5 * 10**16})
    det.on_pools(market.discovered())
    det.on_reserves(market.snapshot(), GWEI)
    pool = next(p for p in market.pools if weth in (p.token0, p.token1))
    zfo = pool.token0 != weth
    market.swap(pool, zfo, market.reserves[pool.address][0 if zfo else 1] // 10)
    found = det.on_reserves(market.step(trades=0), GWEI)
    assert found is not None
    assert all(c.amount_in <= 5 * 10**16 for c in found.candidates if c.base_token == weth)
    det.set_inventory({weth: 0})
    assert all(c.base_token != weth for c in det.evaluate(found.block, GWEI))


def test_denied_token_is_never_traded_and_reorg_rolls_back():
    market = NoiseMarket(n_tokens=6, seed=2)
    det = Detector(make_cfg(market))
    det.on_pools(market.discovered())
    det.on_reserves(market.snapshot(), GWEI)
    quiet = market.block
    pool = next(
        p
        for p in market.pools
        if market.base[0] in (p.token0, p.token1) and market.base[1] not in (p.token0, p.token1)
    )
    zfo = pool.token0 != market.base[0]
    market.swap(pool, zfo, market.reserves[pool.address][0 if zfo else 1] // 10)
    found = det.on_reserves(market.step(trades=0), GWEI)
    assert found is not None
    # the block is reorged away: back to the quiet market
    head = BlockSeen(quiet + 1, "0x" + "ab" * 32, "0x" + "cd" * 32, 0, GWEI)
    det.on_reorg(ReorgDetected(common_ancestor=quiet, old_head=market.block, new_head=head))
    assert det.evaluate(quiet + 1, GWEI) == ()
    # re-apply the dislocation, then deny the other token of the pool
    det.on_reserves(dataclasses.replace(market.snapshot(), block=quiet + 1), GWEI)
    other = pool.token1 if pool.token0 == market.base[0] else pool.token0
    assert det.deny(other, "fee_on_transfer")
    assert not det.deny(market.base[0], "base tokens are not denied")
    cands = det.evaluate(quiet + 1, GWEI)
    assert all(other not in (leg.token_in, leg.token_out) for c in cands for leg in c.legs)


@pytest.mark.parametrize("base_fee", [None, 30 * GWEI])
def test_gas_price_follows_the_base_fee(base_fee):
    market = NoiseMarket(n_tokens=4, seed=1)
    cfg = make_cfg(market)
    det = Detector(cfg)
    expected = round(cfg.execution.max_fee_gwei * GWEI) if base_fee is None else base_fee + GWEI
    assert det.gas_price(base_fee) == expected
