"""One JSON-RPC endpoint over one persistent keep-alive ``httpx.AsyncClient`` (under Trio).

Every request runs inside its own cancel scope (``trio.fail_after``); the answer is read as a
stream and refused past ``max_response_bytes`` before it is parsed; foreign errors (httpx, JSON)
are translated into the :mod:`appliance.chain.errors` family right here, at the boundary.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Self

import httpx
import trio

from appliance.chain.errors import (
    MalformedResponse,
    RateLimited,
    RpcError,
    RpcTimeout,
    RpcTransportError,
)
from appliance.chain.wire import parse_batch, parse_single, request_body

__all__ = ["RpcClient", "endpoint_host"]

_HEADERS = {"content-type": "application/json", "accept": "application/json"}


def endpoint_host(url: str) -> str:
    """host[:port] of ``url`` — what may appear in messages, logs and metrics (no path, no key)."""
    try:
        parsed = httpx.URL(url)
    except Exception:  # httpx.InvalidURL and friends
        return "<invalid url>"
    host = parsed.host or "<no host>"
    return f"{host}:{parsed.port}" if parsed.port else host


class RpcClient:
    """A JSON-RPC client bound to one endpoint.

    >>> async with RpcClient(url, timeout_s=2.0, max_response_bytes=16_000_000) as client:
    ...     head = await client.call("eth_blockNumber", [])

    ``url`` may be a ``chain.rpc`` "http-url|ws-url" pair: the client uses its HTTP URL.
    ``transport`` is for protocol-level unit tests (``httpx.MockTransport``) only.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 2.0,
        max_response_bytes: int = 16_000_000,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if "|" in url:
            url = next((u.strip() for u in url.split("|") if u.strip().startswith("http")), url)
        self.url = url
        self.host = endpoint_host(url)
        self.timeout_s = timeout_s
        self.max_response_bytes = max_response_bytes
        self._ids = itertools.count(1)
        self.requests_sent = 0  # HTTP requests (a batch is one), for metrics and benchmarks
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(None),  # the cancel scope is the timeout
            limits=httpx.Limits(
                max_connections=16, max_keepalive_connections=8, keepalive_expiry=30.0
            ),
            headers=_HEADERS,
            follow_redirects=False,
            trust_env=False,
        )

    async def __aenter__(self) -> Self:
        await self._http.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        with trio.CancelScope(shield=True):
            await self._http.aclose()

    def __repr__(self) -> str:
        return f"RpcClient({self.host!r})"

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """The ``result`` of one request; raises a typed :class:`RpcError`."""
        rid = next(self._ids)
        body = await self._post(method, request_body([(rid, method, params)])[0])
        return parse_single(self.host, method, body, rid)

    async def batch(self, requests: Sequence[tuple[str, Sequence[Any]]]) -> list[Any | RpcError]:
        """One HTTP request for many calls: values or :class:`RpcError` instances, in order.

        Whole-batch failures (transport, timeout, malformed answer) raise instead.
        """
        if not requests:
            return []
        ids = [next(self._ids) for _ in requests]
        methods = [m for m, _ in requests]
        payload = request_body([(i, m, p) for i, (m, p) in zip(ids, requests, strict=True)])
        body = await self._post(f"batch[{len(ids)}]", payload)
        return parse_batch(self.host, methods, body, ids)

    async def _post(self, method: str, payload: Any) -> bytes:
        self.requests_sent += 1
        try:
            with trio.fail_after(self.timeout_s):
                return await self._exchange(method, payload)
        except trio.TooSlowError:
            raise RpcTimeout(self.host, method, f"no answer within {self.timeout_s} s") from None

    async def _exchange(self, method: str, payload: Any) -> bytes:
        try:
            async with self._http.stream("POST", self.url, json=payload) as response:
                status = response.status_code
                if status == 429:
                    raise RateLimited(self.host, method, "HTTP 429")
                if status >= 300 and status != 400:  # 400 may carry a JSON-RPC error object
                    raise RpcTransportError(self.host, method, f"HTTP {status}")
                declared = response.headers.get("content-length")
                if (
                    declared is not None
                    and declared.isdigit()
                    and int(declared) > self.max_response_bytes
                ):
                    raise MalformedResponse(
                        self.host,
                        method,
                        f"answer of {declared} bytes exceeds {self.max_response_bytes}",
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        raise MalformedResponse(
                            self.host, method, f"answer exceeds {self.max_response_bytes} bytes"
                        )
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TimeoutException as exc:
            raise RpcTimeout(self.host, method, type(exc).__name__) from exc
        except httpx.HTTPError as exc:  # connect, read, write, protocol errors (truncated body)
            raise RpcTransportError(self.host, method, f"{type(exc).__name__}") from exc
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise RpcTransportError(self.host, method, f"{type(exc).__name__}") from exc
