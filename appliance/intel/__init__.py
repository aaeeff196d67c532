"""Market intelligence: everyone's swaps on the tracked pools, classified.

Layout: :mod:`~appliance.intel.swaps` decodes ``Swap`` logs into :class:`SwapEvent`;
:mod:`~appliance.intel.classify` groups them by transaction into arbitrages (ours and others'),
sandwiches and plain swaps. Pure: the chain task hands it the logs it already fetched.
"""

from appliance.intel.classify import (
    Arbitrage,
    BlockIntel,
    Kind,
    Sandwich,
    TxInfo,
    classify_block,
    find_cycles,
    txs_to_describe,
)
from appliance.intel.errors import IntelError, MalformedLog
from appliance.intel.swaps import (
    SWAP_V2_TOPIC,
    SWAP_V3_TOPIC,
    SwapEvent,
    decode_swap,
    decode_v2_swap,
    decode_v3_swap,
)

__all__ = [
    "SWAP_V2_TOPIC",
    "SWAP_V3_TOPIC",
    "Arbitrage",
    "BlockIntel",
    "IntelError",
    "Kind",
    "MalformedLog",
    "Sandwich",
    "SwapEvent",
    "TxInfo",
    "classify_block",
    "decode_swap",
    "decode_v2_swap",
    "decode_v3_swap",
    "find_cycles",
    "txs_to_describe",
]
