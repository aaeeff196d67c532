"""The devnet's V3 plan (pure) and our committed V3 helper artifact."""

from __future__ import annotations

import json

from appliance.devnet._market import plan_market
from appliance.devnet._v3 import _HELPER_ARTIFACT, compile_v3_helper
from appliance.devnet._v3_plan import V3_FEE_TIERS, plan_v3, positions, sqrt_price_x96
from appliance.market.v3math import get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio


def test_helper_artifact_matches_its_source() -> None:
    assert json.loads(_HELPER_ARTIFACT.read_text()) == compile_v3_helper()


def test_plan_covers_every_fee_tier_and_is_deterministic() -> None:
    market = plan_market(1)
    pools = plan_v3(market)
    assert {p.fee for p in pools} == set(V3_FEE_TIERS)
    assert pools == plan_v3(plan_market(1))
    assert pools != plan_v3(plan_market(2))


def test_positions_sit_on_the_grid_around_the_start_price() -> None:
    market = plan_market(1)
    for pool in plan_v3(market):
        t0, t1 = market.token(pool.a), market.token(pool.b)
        price = sqrt_price_x96(t0, t1)
        tick = get_tick_at_sqrt_ratio(price)
        planned = positions(pool, t0, t1, tick)
        assert len(planned) == 8
        full = planned[0]
        assert full.tick_lower == -full.tick_upper and full.tick_lower <= tick < full.tick_upper
        for pos in planned:
            assert pos.tick_lower % pool.tick_spacing == pos.tick_upper % pool.tick_spacing == 0
            assert pos.tick_lower < pos.tick_upper and pos.liquidity > 0
        assert any(
            p.tick_lower > tick or p.tick_upper <= tick for p in planned[1:]
        )  # out of range too


def test_start_price_is_the_reference_price() -> None:
    market = plan_market(1)
    weth, usdc = market.token("WETH"), market.token("USDC")
    price = sqrt_price_x96(weth, usdc)  # USDC units per wei of WETH: 3000e6 / 1e18
    assert abs((price / 2**96) ** 2 / (3000 * 10**6 / 10**18) - 1) < 1e-12
    assert get_sqrt_ratio_at_tick(get_tick_at_sqrt_ratio(price)) <= price
