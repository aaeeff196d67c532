"""FullMath and SqrtPriceMath: 512-bit-exact products, amount deltas and next sqrt prices.

Solidity's ``FullMath.mulDiv`` computes ``floor(a·b/d)`` without overflowing the 512-bit product
and reverts when the result does not fit 256 bits; Python's ints are exact, so only the checks
remain. The next-price functions keep the library's overflow branches, because the fallback
formula rounds differently from the main one: reproducing which branch the contract takes is
what makes the result bit for bit.
"""

from __future__ import annotations

from appliance.market.v3._errors import MathOverflow

__all__ = [
    "Q96",
    "amount0_delta",
    "amount1_delta",
    "div_rounding_up",
    "mul_div",
    "mul_div_rounding_up",
    "next_sqrt_price_from_amount0_rounding_up",
    "next_sqrt_price_from_amount1_rounding_down",
    "next_sqrt_price_from_input",
    "next_sqrt_price_from_output",
]

Q96 = 1 << 96
_UINT256 = 1 << 256
_UINT160 = 1 << 160
_UINT160_MAX = _UINT160 - 1


def mul_div(a: int, b: int, denominator: int) -> int:
    """``floor(a·b / denominator)`` (``FullMath.mulDiv``); reverts past 256 bits or on ``d == 0``."""
    if denominator <= 0:
        raise MathOverflow(f"mulDiv by {denominator}")
    result = a * b // denominator
    if result >= _UINT256:
        raise MathOverflow(f"mulDiv({a}, {b}, {denominator}) exceeds 256 bits")
    return result


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """``ceil(a·b / denominator)`` (``FullMath.mulDivRoundingUp``), with its checks."""
    if denominator <= 0:
        raise MathOverflow(f"mulDivRoundingUp by {denominator}")
    result = -(-a * b // denominator)
    if result >= _UINT256:
        raise MathOverflow(f"mulDivRoundingUp({a}, {b}, {denominator}) exceeds 256 bits")
    return result


def div_rounding_up(x: int, y: int) -> int:
    """``ceil(x / y)`` (``UnsafeMath.divRoundingUp``; the callers guarantee ``y > 0``)."""
    return -(-x // y)


def amount0_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """Token0 between two sqrt prices: ``L·2^96·(b − a) / (b·a)`` (``getAmount0Delta``)."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    if sqrt_a <= 0:
        raise MathOverflow(f"getAmount0Delta at sqrt price {sqrt_a}")
    numerator1 = liquidity << 96
    numerator2 = sqrt_b - sqrt_a
    if round_up:
        # mulDivRoundingUp then divRoundingUp; the intermediate fits 256 bits (L < 2^128)
        ceil_over_b = -(-numerator1 * numerator2 // sqrt_b)
        return -(-ceil_over_b // sqrt_a)
    return numerator1 * numerator2 // sqrt_b // sqrt_a


def amount1_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """Token1 between two sqrt prices: ``L·(b − a) / 2^96`` (``getAmount1Delta``)."""
    diff = sqrt_b - sqrt_a if sqrt_b > sqrt_a else sqrt_a - sqrt_b
    if round_up:
        return -(-liquidity * diff >> 96)
    return liquidity * diff >> 96


def next_sqrt_price_from_amount0_rounding_up(
    sqrt_price: int, liquidity: int, amount: int, add: bool
) -> int:
    """``getNextSqrtPriceFromAmount0RoundingUp``: the price after adding/removing token0."""
    if amount == 0:
        return sqrt_price
    numerator1 = liquidity << 96
    product = amount * sqrt_price
    if add:
        if product < _UINT256:
            denominator = numerator1 + product
            if denominator < _UINT256:
                return -(-numerator1 * sqrt_price // denominator)
        # the library's fallback when amount·sqrtP or the sum would overflow
        denominator = numerator1 // sqrt_price + amount
        if denominator >= _UINT256:
            raise MathOverflow(f"adding {amount} token0 overflows uint256")
        return -(-numerator1 // denominator)
    if product >= _UINT256 or numerator1 <= product:
        raise MathOverflow(f"removing {amount} token0 exceeds the virtual reserve")
    result = -(-numerator1 * sqrt_price // (numerator1 - product))
    if result > _UINT160_MAX:
        raise MathOverflow(f"sqrt price {result} exceeds uint160")
    return result


def next_sqrt_price_from_amount1_rounding_down(
    sqrt_price: int, liquidity: int, amount: int, add: bool
) -> int:
    """``getNextSqrtPriceFromAmount1RoundingDown``: the price after adding/removing token1."""
    if add:
        quotient = (amount << 96) // liquidity
        if quotient >= _UINT256:
            raise MathOverflow(f"adding {amount} token1 overflows mulDiv")
        result = sqrt_price + quotient
        if result > _UINT160_MAX:
            raise MathOverflow(f"sqrt price {result} exceeds uint160")
        return result
    quotient = -(-(amount << 96) // liquidity)
    if quotient >= _UINT256:
        raise MathOverflow(f"removing {amount} token1 overflows mulDivRoundingUp")
    if sqrt_price <= quotient:
        raise MathOverflow(f"removing {amount} token1 exceeds the virtual reserve")
    return sqrt_price - quotient


def next_sqrt_price_from_input(
    sqrt_price: int, liquidity: int, amount_in: int, zero_for_one: bool
) -> int:
    """``getNextSqrtPriceFromInput``: rounds so the price never passes the exact target."""
    if sqrt_price <= 0 or liquidity <= 0:
        raise MathOverflow(f"next price from input at price {sqrt_price}, liquidity {liquidity}")
    if zero_for_one:
        return next_sqrt_price_from_amount0_rounding_up(sqrt_price, liquidity, amount_in, True)
    return next_sqrt_price_from_amount1_rounding_down(sqrt_price, liquidity, amount_in, True)


def next_sqrt_price_from_output(
    sqrt_price: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    """``getNextSqrtPriceFromOutput``: rounds so at least ``amount_out`` comes out."""
    if sqrt_price <= 0 or liquidity <= 0:
        raise MathOverflow(f"next price from output at price {sqrt_price}, liquidity {liquidity}")
    if zero_for_one:
        return next_sqrt_price_from_amount1_rounding_down(sqrt_price, liquidity, amount_out, False)
    return next_sqrt_price_from_amount0_rounding_up(sqrt_price, liquidity, amount_out, False)
