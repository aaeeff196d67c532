"""A minimal JSON-RPC client for the devnet's own use (deployment, helpers, simulator).

The appliance's real RPC client (failover, hedging, breakers) lives in ``appliance.chain``;
this one talks to one trusted local Anvil and supports batches, which make large
deployments fast (thousands of transactions in a handful of HTTP requests).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from appliance.chain.errors import ChainError, MalformedResponse, RpcCallError
from appliance.chain.rpc import RpcClient
from appliance.devnet.errors import DevnetRpcError

__all__ = ["DevnetRpc"]

_BATCH = 500
_BATCH_BYTES = 1_000_000  # Anvil refuses very large request bodies ("Invalid request")


class DevnetRpc:
    """``await rpc.call(method, params)``; ``await rpc.batch([(method, params), ...])``.

    The transport and answer validation are the chain package's :class:`RpcClient`; this class
    adds what deployment needs on top: large batches split by count and body size, the first
    failed call raised (a deployment step either works or stops), and one error type.
    """

    def __init__(
        self, url: str, *, timeout: float = 60.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.url = url
        self._client = RpcClient(
            url, timeout_s=timeout, max_response_bytes=256_000_000, transport=transport
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> DevnetRpc:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def call(self, method: str, params: list[Any] | tuple[Any, ...] = ()) -> Any:
        try:
            return await self._client.call(method, list(params))
        except ChainError as exc:
            raise _devnet_error(method, exc) from exc

    async def batch(self, calls: list[tuple[str, list[Any]]], *, chunk: int = _BATCH) -> list[Any]:
        """Results in order; the first error raises :class:`DevnetRpcError` naming the call."""
        results: list[Any] = []
        for part in _chunks(calls, chunk):
            try:
                answers = await self._client.batch([(m, list(p)) for m, p in part])
            except ChainError as exc:
                raise _devnet_error(f"batch of {len(part)}", exc) from exc
            for (method, _params), answer in zip(part, answers, strict=True):
                if isinstance(answer, ChainError):
                    raise _devnet_error(method, answer)
                results.append(answer)
        return results


def _devnet_error(method: str, exc: ChainError) -> DevnetRpcError:
    if isinstance(exc, RpcCallError):  # the node answered with a JSON-RPC error
        return DevnetRpcError(f"{method} failed: {exc.message}")
    if isinstance(exc, MalformedResponse):
        return DevnetRpcError(f"devnet RPC {exc.host} answered non-JSON or malformed: {exc.detail}")
    return DevnetRpcError(f"devnet RPC {getattr(exc, 'host', '?')} failed: {exc}")


def _chunks(calls: list[tuple[str, list[Any]]], limit: int) -> list[list[tuple[str, list[Any]]]]:
    """Split ``calls`` into batches of at most ``limit`` calls and about ``_BATCH_BYTES`` bytes."""
    out: list[list[tuple[str, list[Any]]]] = []
    part: list[tuple[str, list[Any]]] = []
    size = 0
    for call in calls:
        cost = len(json.dumps(call[1])) + 64
        if part and (len(part) >= limit or size + cost > _BATCH_BYTES):
            out.append(part)
            part, size = [], 0
        part.append(call)
        size += cost
    if part:
        out.append(part)
    return out
