"""A local market for tests, benchmarks and the demo: Anvil + real Uniswap V2 + noise traders.

>>> with start_devnet(seed=1) as dn:          # sync; outside any Trio loop
...     dn.rpc, dn.pools[0], dn.config_path
>>> await run_simulator(dn, seed=7)           # inside Trio: seeded swaps every block

Anvil and the Uniswap V2 artifacts come from ``tools/node_modules`` (``make setup``); nothing
third-party is vendored. Errors: :mod:`appliance.devnet.errors`.
"""

from appliance.devnet._abi import CANONICAL_INIT_CODE_HASH, calldata, decode_words, pair_address
from appliance.devnet._deploy import DexInfo, check_init_code_hash
from appliance.devnet._market import DEX_NAMES, MarketPlan, PoolSpec, TokenSpec, plan_market
from appliance.devnet._tools import anvil_binary, load_artifact
from appliance.devnet.anvil import CHAIN_ID, AnvilNode, free_port
from appliance.devnet.devnet import ACCOUNT_NAMES, DevAccount, Devnet, open_devnet, start_devnet
from appliance.devnet.errors import (
    AnvilFailed,
    AnvilMissing,
    ArtifactMissing,
    DevnetError,
    DevnetRpcError,
    InitCodeHashMismatch,
    PortBusy,
)
from appliance.devnet.simulator import SimulatedSwap, plan_swaps, run_simulator

__all__ = [
    "ACCOUNT_NAMES",
    "CANONICAL_INIT_CODE_HASH",
    "CHAIN_ID",
    "DEX_NAMES",
    "AnvilFailed",
    "AnvilMissing",
    "AnvilNode",
    "ArtifactMissing",
    "DevAccount",
    "Devnet",
    "DevnetError",
    "DevnetRpcError",
    "DexInfo",
    "InitCodeHashMismatch",
    "MarketPlan",
    "PoolSpec",
    "PortBusy",
    "SimulatedSwap",
    "TokenSpec",
    "anvil_binary",
    "calldata",
    "check_init_code_hash",
    "decode_words",
    "free_port",
    "load_artifact",
    "open_devnet",
    "pair_address",
    "plan_market",
    "plan_swaps",
    "run_simulator",
    "start_devnet",
]
