"""The devnet's lead pool follows the real mainnet USDC/WETH series (../shared/data)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from appliance.devnet.price_follower import load_price_series, run_price_follower, target_price

pytestmark = pytest.mark.devnet

REAL = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "data"
    / ("uniswap-v2-usdc-weth-reserves.csv.gz")
)


async def _price(dn) -> Fraction:
    lead = dn.pool("uniswap", "WETH", "USDC")
    r0, r1 = await dn.reserves(lead)
    return Fraction(r1, r0) if lead.token0 == dn.weth else Fraction(r0, r1)


async def test_lead_pool_makes_the_recorded_moves(devnet):
    dn = devnet
    rows = load_price_series(REAL)
    # a stretch with a real move: the 40 blocks after the largest 40-block change in the first 3000
    window = 20
    best = max(
        range(0, 3000),
        key=lambda i: abs(rows[i + window][2] / rows[i + window][1] - rows[i][2] / rows[i][1]),
    )
    series = rows[best : best + window + 1]
    start = await _price(dn)
    other_before = await dn.reserves(dn.pool("sushiswap", "WETH", "USDC"))
    stats = await run_price_follower(dn, series, mine=True)
    assert stats.steps == window and stats.trades > 0
    assert stats.last_source_block == series[-1][0]
    final_goal = target_price(start, (series[0][2], series[0][1]), (series[-1][2], series[-1][1]))
    moved = await _price(dn)
    assert abs(moved / final_goal - 1) < Fraction(30, 10_000)  # within 30 bps of the real move
    recorded_move = abs(final_goal / start - 1)
    assert recorded_move > Fraction(5, 10_000)  # the window really moved (>5 bps)
    # the second venue is left to noise and arbitrage: the follower never touched it
    assert await dn.reserves(dn.pool("sushiswap", "WETH", "USDC")) == other_before
