"""The devnet market plan: which tokens, which pools on which DEX, how much liquidity.

Pure and deterministic: ``plan_market(seed, n_pools_extra)`` depends on nothing else, so the
same seed gives the same transactions, hence the same addresses and reserves.

Prices come from a reference table (USD per whole token). Each pool's reserves match the
reference price, moved by a small seeded deviation per pool (at most ``MAX_DEVIATION``), so
the same pair on two DEXes differs a little (2-pool cycles) and triangles through WETH are
slightly out of line (3-pool cycles). Depth differs per DEX, like real venues.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

__all__ = ["DEX_NAMES", "MAX_DEVIATION", "MarketPlan", "PoolSpec", "TokenSpec", "plan_market"]

DEX_NAMES = ("uniswap", "sushiswap", "shibaswap")
_DEX_DEPTH = (1.0, 0.6, 0.35)  # liquidity per DEX relative to the first
# ±0.3 % around the reference price per pool: venues of one pair agree within their fees at the
# start, as arbitraged markets do (issue 24: at ±0.8 % the demo opened with a backlog of
# cycles worth 1 % each).
MAX_DEVIATION = 0.003
WETH = "WETH"


@dataclass(frozen=True, slots=True)
class TokenSpec:
    symbol: str
    name: str
    decimals: int
    price_usd: float  # planning only; on chain everything is integer reserves


@dataclass(frozen=True, slots=True)
class PoolSpec:
    dex: int  # index into DEX_NAMES
    a: str  # token symbols; amounts are the initial reserves in each token's smallest unit
    b: str
    amount_a: int
    amount_b: int


@dataclass(frozen=True, slots=True)
class MarketPlan:
    seed: int
    tokens: tuple[TokenSpec, ...]  # WETH first
    pools: tuple[PoolSpec, ...]

    def token(self, symbol: str) -> TokenSpec:
        for t in self.tokens:
            if t.symbol == symbol:
                return t
        raise KeyError(symbol)


_CORE = (
    TokenSpec(WETH, "Wrapped Ether", 18, 3000.0),
    TokenSpec("USDC", "USD Coin", 6, 1.0),
    TokenSpec("USDT", "Tether USD", 6, 1.0),
    TokenSpec("DAI", "Dai Stablecoin", 18, 1.0),
    TokenSpec("WBTC", "Wrapped BTC", 8, 60000.0),
    TokenSpec("LINK", "ChainLink Token", 18, 15.0),
    TokenSpec("UNI", "Uniswap", 18, 8.0),
)

# (a, b, on which DEXes, depth in USD per side on the deepest DEX)
_CORE_POOLS = (
    (WETH, "USDC", (0, 1, 2), 4_000_000),
    (WETH, "USDT", (0, 1, 2), 3_000_000),
    (WETH, "DAI", (0, 1), 2_000_000),
    (WETH, "WBTC", (0, 1, 2), 3_000_000),
    (WETH, "LINK", (0, 1), 1_000_000),
    (WETH, "UNI", (0, 2), 800_000),
    ("USDC", "USDT", (0, 1, 2), 3_000_000),
    ("USDC", "DAI", (0, 1), 2_000_000),
    ("WBTC", "USDC", (0, 1), 2_000_000),
    ("LINK", "USDC", (0, 2), 600_000),
)
_EXTRA_DEPTH_USD = 250_000
_EXTRA_LAYOUT = ((WETH, 0), (WETH, 1), (WETH, 2), ("USDC", 0))  # pools per extra token


def _amount(usd: float, token: TokenSpec) -> int:
    return round(usd / token.price_usd * 10**token.decimals)


def _pool(rng: random.Random, dex: int, a: TokenSpec, b: TokenSpec, depth_usd: float) -> PoolSpec:
    depth = depth_usd * _DEX_DEPTH[dex] * rng.uniform(0.8, 1.2)
    deviation = rng.uniform(-MAX_DEVIATION, MAX_DEVIATION)
    return PoolSpec(dex, a.symbol, b.symbol, _amount(depth, a), _amount(depth * (1 + deviation), b))


def plan_market(seed: int = 1, n_pools_extra: int = 0) -> MarketPlan:
    """The market for ``seed``: 7 core tokens, 24 core pools, plus ``n_pools_extra`` pools.

    Extra pools come four per extra token (vs WETH on each DEX, vs USDC on the first), so
    they also form 2-pool and 3-pool cycles; the last extra token may get fewer.
    """
    if n_pools_extra < 0:
        raise ValueError(f"n_pools_extra must be >= 0, not {n_pools_extra!r}")
    rng = random.Random(seed)
    tokens = list(_CORE)
    by_symbol = {t.symbol: t for t in tokens}
    pools: list[PoolSpec] = []
    for a, b, dexes, depth in _CORE_POOLS:
        for dex in dexes:
            pools.append(_pool(rng, dex, by_symbol[a], by_symbol[b], depth))
    remaining = n_pools_extra
    index = 0
    while remaining > 0:
        index += 1
        decimals = 6 if index % 3 == 0 else 18
        price = round(10 ** rng.uniform(-2, 3), 6)
        token = TokenSpec(f"X{index:04d}", f"Extra Token {index}", decimals, price)
        tokens.append(token)
        by_symbol[token.symbol] = token
        for quote, dex in _EXTRA_LAYOUT:
            if remaining == 0:
                break
            pools.append(_pool(rng, dex, token, by_symbol[quote], _EXTRA_DEPTH_USD))
            remaining -= 1
    return MarketPlan(seed=seed, tokens=tuple(tokens), pools=tuple(pools))


def needed_per_token(plan: MarketPlan) -> dict[str, int]:
    """How much of each token the pools take (the deployer mints/wraps exactly this)."""
    need = {t.symbol: 0 for t in plan.tokens}
    for p in plan.pools:
        need[p.a] += p.amount_a
        need[p.b] += p.amount_b
    return need


def funding(token: TokenSpec, usd: float) -> int:
    """``usd`` worth of ``token`` in its smallest unit (for funding test accounts)."""
    return _amount(usd, token) if math.isfinite(usd) else 0
