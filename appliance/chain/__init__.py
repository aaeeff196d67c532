"""Chain I/O: JSON-RPC over httpx under Trio, several endpoints, heads, reserves, discovery.

>>> async with open_rpc_pool(cfg.chain) as rpc:
...     block = await rpc.get_block("latest")
...     tokens, pools = await discover(rpc, cfg.dex, [*cfg.tokens.base, *(cfg.tokens.allow or ())])
...     await nursery.start(run_chain, cfg, rpc, pools, events_send)

Modules: ``rpc`` (one endpoint), ``wire`` (answer parser), ``values`` (result validators),
``endpoint`` (breaker, backoff, latency), ``pool`` (failover, hedging, typed helpers), ``heads``
(head follower, reorgs), ``reserves`` (Sync logs, full refresh), ``discovery``, ``service``
(``run_chain``). Errors: :mod:`appliance.chain.errors`.
"""

from appliance.chain.discovery import discover, pairs_created
from appliance.chain.errors import (
    ChainDataError,
    ChainError,
    ChainIdMismatch,
    ExecutionReverted,
    InvalidParams,
    MalformedResponse,
    MethodNotFound,
    NoHealthyEndpoint,
    NotFound,
    RateLimited,
    RpcCallError,
    RpcError,
    RpcTimeout,
    RpcTransportError,
)
from appliance.chain.heads import run_head_follower
from appliance.chain.pool import RpcPool, open_rpc_pool
from appliance.chain.reserves import fetch_reserves_by_logs, fetch_reserves_full
from appliance.chain.rpc import RpcClient, endpoint_host
from appliance.chain.service import run_chain, run_rpc_health
from appliance.chain.values import Log

__all__ = [
    "ChainDataError",
    "ChainError",
    "ChainIdMismatch",
    "ExecutionReverted",
    "InvalidParams",
    "Log",
    "MalformedResponse",
    "MethodNotFound",
    "NoHealthyEndpoint",
    "NotFound",
    "RateLimited",
    "RpcCallError",
    "RpcClient",
    "RpcError",
    "RpcPool",
    "RpcTimeout",
    "RpcTransportError",
    "discover",
    "endpoint_host",
    "fetch_reserves_by_logs",
    "fetch_reserves_full",
    "open_rpc_pool",
    "pairs_created",
    "run_chain",
    "run_head_follower",
    "run_rpc_health",
]
