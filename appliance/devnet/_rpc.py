"""A minimal JSON-RPC client for the devnet's own use (deployment, helpers, simulator).

The appliance's real RPC client (failover, hedging, breakers) lives in ``appliance.chain``;
this one talks to one trusted local Anvil and supports batches, which make large
deployments fast (thousands of transactions in a handful of HTTP requests).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from appliance.devnet.errors import DevnetRpcError

__all__ = ["DevnetRpc"]

_BATCH = 500
_BATCH_BYTES = 1_000_000  # Anvil refuses very large request bodies ("Invalid request")


class DevnetRpc:
    """``await rpc.call(method, params)``; ``await rpc.batch([(method, params), ...])``."""

    def __init__(
        self, url: str, *, timeout: float = 60.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.url = url
        # Loopback HTTP only: skip loading the CA bundle (~100 ms per client on a Pi-class CPU).
        self._client = httpx.AsyncClient(timeout=timeout, verify=False, transport=transport)
        self._id = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> DevnetRpc:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _next_id(self) -> int:
        self._id += 1
        return self._id

    async def _post(self, payload: Any) -> Any:
        try:
            response = await self._client.post(self.url, json=payload)
            return response.json()
        except httpx.HTTPError as exc:
            raise DevnetRpcError(f"devnet RPC {self.url} failed: {exc!r}") from exc
        except ValueError as exc:
            raise DevnetRpcError(f"devnet RPC {self.url} answered non-JSON: {exc}") from exc

    async def call(self, method: str, params: list[Any] | tuple[Any, ...] = ()) -> Any:
        answer = await self._post(
            {"jsonrpc": "2.0", "id": self._next_id(), "method": method, "params": list(params)}
        )
        return _result(method, answer)

    async def batch(self, calls: list[tuple[str, list[Any]]], *, chunk: int = _BATCH) -> list[Any]:
        """Results in order; the first error raises :class:`DevnetRpcError` naming the call."""
        results: list[Any] = []
        for part in _chunks(calls, chunk):
            base = self._id
            payload = [
                {"jsonrpc": "2.0", "id": base + i + 1, "method": m, "params": list(p)}
                for i, (m, p) in enumerate(part)
            ]
            self._id += len(part)
            answers = await self._post(payload)
            if not isinstance(answers, list):
                raise DevnetRpcError(f"devnet RPC batch answered {str(answers)[:200]!r}")
            by_id = {a.get("id"): a for a in answers}
            for i, (method, _params) in enumerate(part):
                results.append(_result(method, by_id.get(base + i + 1)))
        return results


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


def _result(method: str, answer: Any) -> Any:
    if not isinstance(answer, dict):
        raise DevnetRpcError(f"{method}: no answer")
    if "error" in answer:
        err = answer["error"]
        msg = err.get("message", err) if isinstance(err, dict) else err
        raise DevnetRpcError(f"{method} failed: {msg}")
    return answer.get("result")
