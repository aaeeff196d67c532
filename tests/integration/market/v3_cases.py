"""Random V3 swap requests across many ticks, shared by the devnet test and the bench.

A request is ``(pool, zero_for_one, exact_input, amount, limit)`` as
:meth:`appliance.devnet._v3.V3Market.quotes` takes it (``limit=0``: the Quoter's default).
Amounts are drawn from the pool's own state so that swaps end anywhere from inside the current
tick to a hundred tick spacings away (crossing many initialized ticks and word edges), and now
and then beyond the available liquidity or the limit (partial fills, Quoter refusals).
"""

from __future__ import annotations

import random
from typing import Any

from appliance.market.v3math import (
    MAX_TICK,
    MIN_TICK,
    V3PoolState,
    V3SwapError,
    get_sqrt_ratio_at_tick,
    quote_exact_input,
    quote_exact_output,
    swap,
)

INT256_MAX = 2**255 - 1


def draw_request(
    rng: random.Random, pool: Any, state: V3PoolState
) -> tuple[Any, bool, bool, int, int]:
    zero_for_one = rng.random() < 0.5
    exact_input = rng.random() < 0.5
    spacing = state.tick_spacing
    reach = rng.choice([0, 1, 2, 5, 20, 100]) * spacing + rng.randrange(spacing)
    target = state.tick - reach if zero_for_one else state.tick + reach + 1
    target = max(MIN_TICK + 1, min(MAX_TICK - 1, target))
    target_price = get_sqrt_ratio_at_tick(target)
    if (zero_for_one and target_price >= state.sqrt_price_x96) or (
        not zero_for_one and target_price <= state.sqrt_price_x96
    ):
        amount = rng.randrange(1, 10**6)
    else:
        full = swap(state, zero_for_one, INT256_MAX, target_price)
        paid, got = (full.amount0, -full.amount1) if zero_for_one else (full.amount1, -full.amount0)
        whole = paid if exact_input else got
        amount = max(1, int(whole * rng.choice([0.001, 0.1, 0.5, 0.99, 1.0, 1.5, 1000.0])))
        if rng.random() < 0.1:
            amount = rng.randrange(1, 1000)
    limit = 0
    if rng.random() < 0.4:
        step = rng.randrange(0, 60 * spacing + 1)
        limit_tick = state.tick - step if zero_for_one else state.tick + 1 + step
        limit_tick = max(MIN_TICK + 1, min(MAX_TICK - 1, limit_tick))
        limit = get_sqrt_ratio_at_tick(limit_tick) + rng.choice([0, 1, -1])
    return pool, zero_for_one, exact_input, amount, limit


def local_quote(state: V3PoolState, request: tuple[Any, bool, bool, int, int]) -> int | None:
    """Our answer to ``request``: the amount, or ``None`` where the Quoter would revert."""
    _pool, zero_for_one, exact_input, amount, limit = request
    quote = quote_exact_input if exact_input else quote_exact_output
    try:
        return quote(state, zero_for_one, amount, limit or None)
    except V3SwapError:
        return None


def price_after(state: V3PoolState, request: tuple[Any, bool, bool, int, int]) -> int:
    _pool, zero_for_one, exact_input, amount, limit = request
    return swap(
        state, zero_for_one, amount if exact_input else -amount, limit or None
    ).sqrt_price_x96
