"""Errors of the V3 pool arithmetic: each is a revert of the pool (or its Quoter), by its reason.

::

    SwapError (appliance.market.errors)
    └── V3SwapError                     the V3 pool or its Quoter would revert this call
        ├── TickOutOfRange              TickMath 'T' (tick) or 'R' (sqrt price) out of range
        ├── PriceLimitInvalid           the pool's 'SPL': limit on the wrong side or out of range
        ├── AmountSpecifiedZero         the pool's 'AS': a zero amount
        ├── NotFilled                   the Quoter refuses: no input taken, or exact output short
        └── MathOverflow                a checked operation would revert (mulDiv, uint160, 'LS'/'LA')
    InvalidPoolState(MarketError, ValueError)   a V3PoolState no pool can be in (caller's bug)
    OutsideTickWindow(MarketError)              a swap or event reaches past the fetched ticks:
                                                refetch the pool's window, then ask again

Callers treat every one as "this trade cannot happen" (drop the candidate), like the V2 errors.
"""

from __future__ import annotations

from appliance.market.errors import MarketError, SwapError

__all__ = [
    "AmountSpecifiedZero",
    "InvalidPoolState",
    "MathOverflow",
    "NotFilled",
    "OutsideTickWindow",
    "PriceLimitInvalid",
    "TickOutOfRange",
    "V3SwapError",
]


class V3SwapError(SwapError):
    """The V3 pool (or its Quoter) would revert."""


class TickOutOfRange(V3SwapError):
    """A tick beyond ±887272 ('T') or a sqrt price outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO) ('R')."""


class PriceLimitInvalid(V3SwapError):
    """The price limit is not strictly beyond the current price inside the bounds ('SPL')."""


class AmountSpecifiedZero(V3SwapError):
    """The swap amount is zero ('AS')."""


class NotFilled(V3SwapError):
    """The Quoter reverts: nothing paid in, or an exact output without a limit not fully received."""


class MathOverflow(V3SwapError):
    """An intermediate leaves its Solidity type: the contract's checked arithmetic reverts."""


class InvalidPoolState(MarketError, ValueError):
    """A pool state out of the contract's ranges (fee, spacing, price, liquidity, tick grid)."""


class OutsideTickWindow(MarketError):
    """The answer depends on bitmap words outside the fetched window: refetch around the price."""
