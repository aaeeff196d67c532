"""The devnet's Uniswap V3 market plan: which pools (pair, fee tier), start price, positions.

Pure and deterministic like :mod:`appliance.devnet._market`: ``plan_v3(market, seed)`` depends
on the V2 plan's tokens and reference prices only. Every pool gets one full-range position
(so a swap never runs dry) and several concentrated ones of seeded width and offset around
the start price, so swaps cross many initialized ticks, with gaps and overlaps between them.
Liquidity is sized from a USD depth like the V2 pools (``sqrt(x·y)`` of a V2 pool that deep).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction

from appliance.devnet._market import WETH, MarketPlan, TokenSpec

__all__ = ["V3_FEE_TIERS", "V3PlannedPool", "V3Position", "plan_v3", "sqrt_price_x96"]

V3_FEE_TIERS = {100: 1, 500: 10, 3000: 60, 10000: 200}  # fee (pips) -> tick spacing
_MAX_TICK = 887272

# (a, b, fee, depth in USD per side): every fee tier, stable and volatile pairs
_V3_POOLS = (
    (WETH, "USDC", 500, 3_000_000),
    (WETH, "USDC", 3000, 1_500_000),
    ("USDC", "USDT", 100, 2_000_000),
    (WETH, "WBTC", 3000, 1_000_000),
    ("LINK", WETH, 10000, 400_000),
    ("DAI", "USDC", 500, 800_000),
)
_N_CONCENTRATED = 7


@dataclass(frozen=True, slots=True)
class V3Position:
    tick_lower: int
    tick_upper: int
    liquidity: int


@dataclass(frozen=True, slots=True)
class V3PlannedPool:
    a: str  # token symbols, in plan order (the pool sorts them by address)
    b: str
    fee: int
    tick_spacing: int
    depth_usd: int
    seed: int  # positions are drawn once the token order (hence the start tick) is known


def plan_v3(market: MarketPlan) -> tuple[V3PlannedPool, ...]:
    """The V3 pools for ``market`` (its seed drives the positions)."""
    rng = random.Random(f"v3:{market.seed}")
    return tuple(
        V3PlannedPool(a, b, fee, V3_FEE_TIERS[fee], depth, rng.randrange(2**32))
        for a, b, fee, depth in _V3_POOLS
        if a in {t.symbol for t in market.tokens} and b in {t.symbol for t in market.tokens}
    )


def sqrt_price_x96(token0: TokenSpec, token1: TokenSpec) -> int:
    """``sqrt(token1 per token0 in smallest units) · 2^96`` at the reference prices."""
    price = Fraction(token0.price_usd) * 10**token1.decimals
    price /= Fraction(token1.price_usd) * 10**token0.decimals
    return math.isqrt(price.numerator * 2**192 // price.denominator)


def positions(
    pool: V3PlannedPool, token0: TokenSpec, token1: TokenSpec, tick: int
) -> tuple[V3Position, ...]:
    """Seeded positions around ``tick``: a full-range one and ``_N_CONCENTRATED`` others."""
    rng = random.Random(pool.seed)
    spacing = pool.tick_spacing
    reserve0 = pool.depth_usd / token0.price_usd * 10**token0.decimals
    reserve1 = pool.depth_usd / token1.price_usd * 10**token1.decimals
    base = math.sqrt(reserve0 * reserve1)  # the liquidity of a V2 pool this deep
    edge = _MAX_TICK // spacing * spacing
    out = [V3Position(-edge, edge, int(base * 0.3))]
    centre = tick // spacing
    for _ in range(_N_CONCENTRATED):
        width = rng.randint(1, 60)  # in tick spacings
        offset = rng.randint(-50, 50)
        lower = (centre + offset - width // 2) * spacing
        upper = lower + max(width, 1) * spacing
        lower, upper = max(lower, -edge), min(upper, edge)
        out.append(V3Position(lower, upper, int(base * rng.uniform(0.05, 0.6))))
    return tuple(out)
