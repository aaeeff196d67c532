"""Errors of the market package (pool arithmetic and market state).

::

    MarketError(ApplianceError)             anything the market package raises on purpose
    ├── SwapError(MarketError, ValueError)  a swap the pair contract itself would revert
    │   ├── InsufficientInputAmount         amountIn == 0 ("UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT")
    │   ├── InsufficientOutputAmount        amountOut == 0 ("UniswapV2Library: INSUFFICIENT_OUTPUT_AMOUNT")
    │   ├── InsufficientLiquidity           a zero reserve, or amountOut >= reserveOut
    │   └── KInvariantViolated              the pair's fee-adjusted K check fails ("UniswapV2: K")
    └── ReorgTooDeep(MarketError)           a reorg below the undo window: reserves must be refetched

A :class:`SwapError` means "this trade cannot happen": callers drop the candidate. A
:class:`ReorgTooDeep` means the in-memory reserves are no longer trustworthy: the detector clears
them and waits for the chain layer's next full refresh.
"""

from __future__ import annotations

from appliance.errors import ApplianceError

__all__ = [
    "InsufficientInputAmount",
    "InsufficientLiquidity",
    "InsufficientOutputAmount",
    "KInvariantViolated",
    "MarketError",
    "ReorgTooDeep",
    "SwapError",
]


class MarketError(ApplianceError):
    """Base of the market package's errors."""


class SwapError(MarketError, ValueError):
    """The pool's own contract would revert this swap."""


class InsufficientInputAmount(SwapError):
    """``amount_in`` is not positive."""


class InsufficientOutputAmount(SwapError):
    """``amount_out`` is not positive."""


class InsufficientLiquidity(SwapError):
    """A reserve is zero, or the requested output is not below the output reserve."""


class KInvariantViolated(SwapError):
    """The balances after a swap fail the pair's fee-adjusted constant-product check."""


class ReorgTooDeep(MarketError):
    """The reorg reaches below the blocks kept for rollback."""
