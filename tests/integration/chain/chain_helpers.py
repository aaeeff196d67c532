"""Shared helpers of the chain integration tests (imported by path, not a fixture module)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from appliance.chain import RpcClient, RpcPool


@asynccontextmanager
async def pool_of(*urls: str, timeout_s: float = 2.0, **kw):
    clients = [RpcClient(u, timeout_s=timeout_s, max_response_bytes=16_000_000) for u in urls]
    for c in clients:
        await c.__aenter__()
    try:
        yield RpcPool(clients, **kw)
    finally:
        for c in clients:
            await c.aclose()
