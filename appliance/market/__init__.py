"""Market state: pools, tokens and exact reserves, plus Uniswap V2 and V3 pool arithmetic.

V3: :mod:`appliance.market.v3math` (the pool's integer math and the Quoter's view) and
:mod:`appliance.market.v3state` (a pool's window of ticks kept current from its logs).
"""

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
from appliance.market.v3math import (
    OutsideTickWindow,
    V3PoolState,
    V3SwapError,
    V3SwapResult,
    quote_exact_input,
    quote_exact_output,
)
from appliance.market.v3state import V3PoolWindow

__all__ = [
    "UNDO_BLOCKS",
    "InsufficientInputAmount",
    "InsufficientLiquidity",
    "InsufficientOutputAmount",
    "KInvariantViolated",
    "MarketError",
    "MarketState",
    "OutsideTickWindow",
    "ReorgTooDeep",
    "SwapError",
    "V3PoolState",
    "V3PoolWindow",
    "V3SwapError",
    "V3SwapResult",
    "check_k",
    "get_amount_in",
    "get_amount_out",
    "get_amounts_in",
    "get_amounts_out",
    "min_amount_in",
    "quote_exact_input",
    "quote_exact_output",
]
