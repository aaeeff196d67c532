"""Market state: pools, tokens and exact reserves, plus Uniswap V2 pair arithmetic."""

from appliance.market.errors import (
    InsufficientInputAmount,
    InsufficientLiquidity,
    InsufficientOutputAmount,
    KInvariantViolated,
    MarketError,
    ReorgTooDeep,
    SwapError,
)
from appliance.market.state import UNDO_BLOCKS, MarketState
from appliance.market.v2math import (
    check_k,
    get_amount_in,
    get_amount_out,
    get_amounts_in,
    get_amounts_out,
    min_amount_in,
)

__all__ = [
    "UNDO_BLOCKS",
    "InsufficientInputAmount",
    "InsufficientLiquidity",
    "InsufficientOutputAmount",
    "KInvariantViolated",
    "MarketError",
    "MarketState",
    "ReorgTooDeep",
    "SwapError",
    "check_k",
    "get_amount_in",
    "get_amount_out",
    "get_amounts_in",
    "get_amounts_out",
    "min_amount_in",
]
