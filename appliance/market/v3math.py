"""Uniswap V3 concentrated-liquidity arithmetic in exact integers, bit for bit with the contracts.

A facade over ``appliance.market.v3``: TickMath, FullMath, SqrtPriceMath, SwapMath and the pool's
swap loop across initialized ticks, plus what the Quoter returns for a single pool. Solidity's
``uint``/``int`` arithmetic is Python's on non-negative ints, with the contract's reverts raised
as :class:`V3SwapError` subclasses.

    >>> state = V3PoolState(fee=3000, tick_spacing=60, sqrt_price_x96=2**96, tick=0,
    ...                     liquidity=10**18, ticks={-60: 10**18, 60: -10**18})
    >>> quote_exact_input(state, True, 10**15)
    996006981039903
"""

from __future__ import annotations

from appliance.market.v3._errors import (
    AmountSpecifiedZero,
    InvalidPoolState,
    MathOverflow,
    NotFilled,
    OutsideTickWindow,
    PriceLimitInvalid,
    TickOutOfRange,
    V3SwapError,
)
from appliance.market.v3._fullmath import (
    Q96,
    amount0_delta,
    amount1_delta,
    mul_div,
    mul_div_rounding_up,
    next_sqrt_price_from_input,
    next_sqrt_price_from_output,
)
from appliance.market.v3._pool import (
    FEE_TICK_SPACING,
    V3PoolState,
    V3SwapResult,
    next_initialized_tick_within_one_word,
    quote_exact_input,
    quote_exact_output,
    swap,
)
from appliance.market.v3._swapmath import FEE_DENOMINATOR, compute_swap_step
from appliance.market.v3._tickmath import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

__all__ = [
    "FEE_DENOMINATOR",
    "FEE_TICK_SPACING",
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "Q96",
    "AmountSpecifiedZero",
    "InvalidPoolState",
    "MathOverflow",
    "NotFilled",
    "OutsideTickWindow",
    "PriceLimitInvalid",
    "TickOutOfRange",
    "V3PoolState",
    "V3SwapError",
    "V3SwapResult",
    "amount0_delta",
    "amount1_delta",
    "compute_swap_step",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "mul_div",
    "mul_div_rounding_up",
    "next_initialized_tick_within_one_word",
    "next_sqrt_price_from_input",
    "next_sqrt_price_from_output",
    "quote_exact_input",
    "quote_exact_output",
    "swap",
]
