"""SwapMath.computeSwapStep: one step of a swap inside a single liquidity range."""

from __future__ import annotations

from appliance.market.v3._fullmath import (
    amount0_delta,
    amount1_delta,
    next_sqrt_price_from_input,
    next_sqrt_price_from_output,
)

__all__ = ["FEE_DENOMINATOR", "compute_swap_step"]

FEE_DENOMINATOR = 1_000_000  # fees are in pips (hundredths of a basis point)


def compute_swap_step(
    sqrt_price_current: int,
    sqrt_price_target: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> tuple[int, int, int, int]:
    """``(sqrt_price_next, amount_in, amount_out, fee_amount)`` of one step (``computeSwapStep``).

    ``amount_remaining`` is signed as in the pool: ``>= 0`` exact input, ``< 0`` exact output.
    The direction follows from the prices: towards a lower price is token0 in (zero for one).
    """
    zero_for_one = sqrt_price_current >= sqrt_price_target
    exact_in = amount_remaining >= 0
    amount_in = amount_out = 0
    if exact_in:
        remaining_less_fee = amount_remaining * (FEE_DENOMINATOR - fee_pips) // FEE_DENOMINATOR
        if zero_for_one:
            amount_in = amount0_delta(sqrt_price_target, sqrt_price_current, liquidity, True)
        else:
            amount_in = amount1_delta(sqrt_price_current, sqrt_price_target, liquidity, True)
        if remaining_less_fee >= amount_in:
            sqrt_price_next = sqrt_price_target
        else:
            sqrt_price_next = next_sqrt_price_from_input(
                sqrt_price_current, liquidity, remaining_less_fee, zero_for_one
            )
    else:
        if zero_for_one:
            amount_out = amount1_delta(sqrt_price_target, sqrt_price_current, liquidity, False)
        else:
            amount_out = amount0_delta(sqrt_price_current, sqrt_price_target, liquidity, False)
        if -amount_remaining >= amount_out:
            sqrt_price_next = sqrt_price_target
        else:
            sqrt_price_next = next_sqrt_price_from_output(
                sqrt_price_current, liquidity, -amount_remaining, zero_for_one
            )

    reached = sqrt_price_next == sqrt_price_target
    if zero_for_one:
        if not (reached and exact_in):
            amount_in = amount0_delta(sqrt_price_next, sqrt_price_current, liquidity, True)
        if not (reached and not exact_in):
            amount_out = amount1_delta(sqrt_price_next, sqrt_price_current, liquidity, False)
    else:
        if not (reached and exact_in):
            amount_in = amount1_delta(sqrt_price_current, sqrt_price_next, liquidity, True)
        if not (reached and not exact_in):
            amount_out = amount0_delta(sqrt_price_current, sqrt_price_next, liquidity, False)

    if not exact_in and amount_out > -amount_remaining:
        amount_out = -amount_remaining

    if exact_in and not reached:
        fee_amount = amount_remaining - amount_in  # the rest of the input is the fee
    else:
        fee_amount = -(-amount_in * fee_pips // (FEE_DENOMINATOR - fee_pips))
    return sqrt_price_next, amount_in, amount_out, fee_amount
