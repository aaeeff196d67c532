"""Uniswap V2 pair arithmetic in exact integers, bit for bit.

``UniswapV2Library.getAmountOut`` (fee 0.3 %) is::

    amountInWithFee = amountIn * 997
    amountOut = amountInWithFee * reserveOut / (reserveIn * 1000 + amountInWithFee)

Forks with another fee (PancakeSwap V2: 25 bps) use the same form with ``10000 - fee_bps`` over
``10000``. For 30 bps this is the 997/1000 form with numerator and denominator both multiplied by
10: the rational number is the same, so the floor is the same (tests check it). Solidity's ``/`` on
``uint`` is Python's ``//`` on non-negative ints.
"""

from __future__ import annotations

from collections.abc import Sequence

from appliance.market.errors import (
    InsufficientInputAmount,
    InsufficientLiquidity,
    InsufficientOutputAmount,
    KInvariantViolated,
)

__all__ = [
    "BPS",
    "Hop",
    "check_k",
    "get_amount_in",
    "get_amount_out",
    "get_amounts_in",
    "get_amounts_out",
    "min_amount_in",
]

BPS = 10_000

Hop = tuple[int, int, int]  # (reserve_in, reserve_out, fee_bps)


def _check_fee(fee_bps: int) -> None:
    if not 0 <= fee_bps < BPS:
        raise ValueError(f"fee_bps must be in [0, {BPS}), not {fee_bps!r}")


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """What the pair pays for ``amount_in`` (``UniswapV2Library.getAmountOut``)."""
    if amount_in <= 0:
        raise InsufficientInputAmount(f"amount_in must be > 0, not {amount_in!r}")
    if reserve_in <= 0 or reserve_out <= 0:
        raise InsufficientLiquidity(f"reserves must be > 0, not ({reserve_in!r}, {reserve_out!r})")
    with_fee = amount_in * (BPS - fee_bps)
    return with_fee * reserve_out // (reserve_in * BPS + with_fee)


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """The input the router asks for ``amount_out`` (``UniswapV2Library.getAmountIn``, with its +1)."""
    if amount_out <= 0:
        raise InsufficientOutputAmount(f"amount_out must be > 0, not {amount_out!r}")
    if reserve_in <= 0 or reserve_out <= 0:
        raise InsufficientLiquidity(f"reserves must be > 0, not ({reserve_in!r}, {reserve_out!r})")
    if amount_out >= reserve_out:  # the contract underflows (ds-math-sub-underflow)
        raise InsufficientLiquidity(f"amount_out {amount_out} >= reserve_out {reserve_out}")
    numerator = reserve_in * amount_out * BPS
    denominator = (reserve_out - amount_out) * (BPS - fee_bps)
    return numerator // denominator + 1


def min_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """The smallest input for which :func:`get_amount_out` is at least ``amount_out``.

    ``get_amount_in`` may ask one wei more than needed; the optimiser needs the exact minimum:
    ``floor(x·f·R_out / (R_in·B + x·f)) >= v``  iff  ``x·f·(R_out − v) >= v·R_in·B``.
    """
    if amount_out <= 0:
        return 0
    if reserve_in <= 0 or reserve_out <= 0:
        raise InsufficientLiquidity(f"reserves must be > 0, not ({reserve_in!r}, {reserve_out!r})")
    if amount_out >= reserve_out:
        raise InsufficientLiquidity(f"amount_out {amount_out} >= reserve_out {reserve_out}")
    numerator = amount_out * reserve_in * BPS
    denominator = (BPS - fee_bps) * (reserve_out - amount_out)
    return -(-numerator // denominator)


def get_amounts_out(amount_in: int, hops: Sequence[Hop]) -> list[int]:
    """``[amount_in, out_1, ..., out_n]`` along ``hops`` (``UniswapV2Library.getAmountsOut``)."""
    amounts = [amount_in]
    for reserve_in, reserve_out, fee_bps in hops:
        amounts.append(get_amount_out(amounts[-1], reserve_in, reserve_out, fee_bps))
    return amounts


def get_amounts_in(amount_out: int, hops: Sequence[Hop]) -> list[int]:
    """``[in, ..., amount_out]`` backwards along ``hops`` (``UniswapV2Library.getAmountsIn``)."""
    amounts = [amount_out]
    for reserve_in, reserve_out, fee_bps in reversed(hops):
        amounts.insert(0, get_amount_in(amounts[0], reserve_in, reserve_out, fee_bps))
    return amounts


def check_k(
    balance0: int,
    balance1: int,
    amount0_in: int,
    amount1_in: int,
    reserve0: int,
    reserve1: int,
    fee_bps: int = 30,
    *,
    strict: bool = True,
) -> bool:
    """The pair's ``swap`` invariant on the balances after a swap (``UniswapV2: K``).

    ``balanceAdjusted = balance·B − amountIn·fee``; the swap stands iff
    ``b0adj·b1adj >= r0·r1·B²``. With ``strict`` a failure raises :class:`KInvariantViolated`.
    """
    _check_fee(fee_bps)
    adjusted0 = balance0 * BPS - amount0_in * fee_bps
    adjusted1 = balance1 * BPS - amount1_in * fee_bps
    ok = adjusted0 * adjusted1 >= reserve0 * reserve1 * BPS * BPS
    if not ok and strict:
        raise KInvariantViolated(
            f"K check fails: balances ({balance0}, {balance1}) after inputs "
            f"({amount0_in}, {amount1_in}) against reserves ({reserve0}, {reserve1})"
        )
    return ok
