"""The devnet's JSON-RPC client: the chain layer's :class:`RpcClient`, with devnet defaults.

The appliance's pool (failover, hedging, breakers) lives in ``appliance.chain``; the devnet talks
to one trusted local Anvil through the same client, adding only large all-or-error batches
(thousands of deployment transactions in a handful of HTTP requests) and its error type.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from appliance.chain.errors import ChainError, MalformedResponse, RpcCallError
from appliance.chain.rpc import RpcClient
from appliance.devnet.errors import DevnetRpcError

__all__ = ["DevnetRpc"]

_BATCH = 500
_BATCH_BYTES = 1_000_000  # Anvil refuses very large request bodies ("Invalid request")


class DevnetRpc(RpcClient):
    """The chain package's :class:`RpcClient` (one JSON-RPC layer: its ``call``, transport and
    validation) with the devnet's defaults — a long timeout, 256 MB answers — and its error type:
    ``batch`` splits large batches by count and body size and raises the first failed call (a
    deployment step either works or stops); every failure is one :class:`DevnetRpcError`.

    ``await rpc.call(method, params)``; ``await rpc.batch([(method, params), ...])``.
    """

    def __init__(
        self, url: str, *, timeout: float = 60.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(
            url, timeout_s=timeout, max_response_bytes=256_000_000, transport=transport
        )

    async def __aenter__(self) -> DevnetRpc:
        await super().__aenter__()
        return self

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        try:
            return await super().call(method, list(params))
        except ChainError as exc:
            raise _devnet_error(method, exc) from exc

    async def batch(  # type: ignore[override]  # all-or-error: the first failure raises
        self, requests: Sequence[tuple[str, Sequence[Any]]], *, chunk: int = _BATCH
    ) -> list[Any]:
        """Results in order; the first error raises :class:`DevnetRpcError` naming the call."""
        results: list[Any] = []
        for part in _chunks(list(requests), chunk):
            try:
                answers = await super().batch([(m, list(p)) for m, p in part])
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


def _chunks(calls: list[tuple[str, Any]], limit: int) -> list[list[tuple[str, Any]]]:
    """Split ``calls`` into batches of at most ``limit`` calls and about ``_BATCH_BYTES`` bytes."""
    out: list[list[tuple[str, Any]]] = []
    part: list[tuple[str, Any]] = []
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
