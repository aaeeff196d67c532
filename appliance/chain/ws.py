"""JSON-RPC over one WebSocket (``trio-websocket``): requests by id, subscriptions by id.

:class:`WsConnection` multiplexes one open connection: ``call`` sends a request and waits for the
answer with the same id; ``subscribe`` (``eth_subscribe``) returns a receive channel fed with the
subscription's notifications. Its ``run`` task reads every message; when the connection ends
(closed, reset, an oversized or malformed frame) every waiting call fails with
:class:`RpcTransportError` and every subscription channel is closed, so the owner sees the end.

:class:`WsClient` is the endpoint client for a ``ws://`` / ``wss://`` endpoint given without an
HTTP URL: the same ``call`` / ``batch`` surface as :class:`~appliance.chain.rpc.RpcClient`, over
a connection opened on first use and re-opened after it broke. Foreign errors are translated
into the chain error family here, at the boundary. Messages name host[:port] only.
"""

from __future__ import annotations

import itertools
import json
import socket
import ssl
from collections.abc import Sequence
from contextlib import suppress
from typing import Any, Self
from urllib.parse import urlsplit

import trio
import trio_websocket

from appliance.chain.errors import (
    MalformedResponse,
    RpcError,
    RpcTimeout,
    RpcTransportError,
)
from appliance.chain.rpc import endpoint_host
from appliance.chain.wire import parse_batch, parse_single, request_body

__all__ = ["WsClient", "WsConnection", "open_ws"]

_SUBSCRIPTION_BUFFER = 4096  # notifications queued per subscription before the reader waits


class _QuickAckStream(trio.abc.HalfCloseableStream):
    """A TCP stream that acknowledges at once (``TCP_QUICKACK``, re-armed around every read).

    Nodes write each notification separately without ``TCP_NODELAY``: with the kernel's delayed
    ACK on our side, Nagle's algorithm on theirs holds the second of two back-to-back messages
    (a block's logs, then its head) for ~40 ms. Acknowledging at once removes that wait.
    """

    def __init__(self, inner: trio.SocketStream) -> None:
        self.inner = inner
        self.socket = inner.socket

    def _quickack(self) -> None:
        with suppress(OSError, AttributeError):
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        self._quickack()
        data = await self.inner.receive_some(max_bytes)
        self._quickack()
        return data

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def send_eof(self) -> None:
        await self.inner.send_eof()

    async def aclose(self) -> None:
        await self.inner.aclose()


async def open_ws(
    nursery: trio.Nursery, url: str, *, timeout_s: float, max_message_bytes: int
) -> trio_websocket.WebSocketConnection:
    """Connect (TCP, TLS for wss, handshake) within ``timeout_s``; raises
    :class:`RpcTransportError`."""
    host = endpoint_host(url)
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    hostname = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        with trio.fail_after(timeout_s):
            tcp = await trio.open_tcp_stream(hostname, port)
            stream: Any = _QuickAckStream(tcp)
            if secure:
                stream = trio.SSLStream(
                    stream, ssl.create_default_context(), server_hostname=hostname
                )
                await stream.do_handshake()
            return await trio_websocket.wrap_client_stream(
                nursery,
                stream,
                hostname if parts.port is None else f"{hostname}:{port}",
                resource,
                max_message_size=max_message_bytes,
                message_queue_size=256,
            )
    except trio.TooSlowError:
        raise RpcTimeout(host, "websocket", f"no handshake within {timeout_s} s") from None
    except (
        trio_websocket.HandshakeError,
        OSError,
        trio.BrokenResourceError,
        ssl.SSLError,
    ) as exc:
        raise RpcTransportError(host, "websocket", type(exc).__name__) from None


class WsConnection:
    """JSON-RPC over one open WebSocket. Start :meth:`run` in a nursery before calling."""

    def __init__(self, ws: trio_websocket.WebSocketConnection, host: str) -> None:
        self.ws = ws
        self.host = host
        self.closed = False
        self.reason = ""
        self._ids = itertools.count(1)
        self._issued = 1
        self._waiting: dict[int, tuple[str, trio.Event, list[Any]]] = {}
        self._subs: dict[str, trio.MemorySendChannel] = {}
        self.requests_sent = 0

    async def run(self) -> None:
        """Read messages until the connection ends; then fail everything that waits."""
        try:
            while True:
                try:
                    message = await self.ws.get_message()
                except trio_websocket.ConnectionClosed as exc:
                    self.reason = f"closed ({exc.reason.code if exc.reason else '?'})"
                    return
                except (OSError, trio.BrokenResourceError) as exc:
                    self.reason = type(exc).__name__
                    return
                if not self._dispatch(message):
                    return
        finally:
            self._close_all()

    def _dispatch(self, message: str | bytes) -> bool:
        try:
            obj = json.loads(message)
        except (ValueError, RecursionError):
            self.reason = f"not JSON ({len(message)} bytes)"
            return False
        if isinstance(obj, dict) and obj.get("method") == "eth_subscription":
            params = obj.get("params")
            if not isinstance(params, dict) or not isinstance(params.get("subscription"), str):
                self.reason = "malformed subscription notification"
                return False
            send = self._subs.get(params["subscription"])
            if send is not None:
                try:
                    send.send_nowait(params.get("result"))
                except trio.WouldBlock:  # the consumer fell hopelessly behind: resubscribe
                    self.reason = "subscription consumer too slow"
                    return False
                except trio.BrokenResourceError:  # the consumer is gone
                    self._subs.pop(params["subscription"], None)
            return True
        if isinstance(obj, list):  # a batch's answer: its waiter is under each of its ids
            ids = [i.get("id") for i in obj if isinstance(i, dict)]
            rid = next((i for i in ids if isinstance(i, int) and i in self._waiting), None)
            if rid is None and ids:
                rid = ids[0]
        else:
            rid = obj.get("id") if isinstance(obj, dict) else None
        waiter = self._waiting.get(rid) if isinstance(rid, int) else None
        if waiter is None:
            if isinstance(rid, int) and not isinstance(rid, bool) and 0 < rid < self._issued:
                return True  # a late answer to a request that timed out: dropped
            self.reason = f"answer with unrequested id {rid!r:.40}"
            return False
        _method, event, box = waiter
        box.append(message if isinstance(message, bytes) else message.encode())
        event.set()
        return True

    def _close_all(self) -> None:
        self.closed = True
        for _method, event, _box in self._waiting.values():
            event.set()
        for send in self._subs.values():
            send.close()
        self._subs.clear()

    async def call(self, method: str, params: Sequence[Any] = (), *, timeout_s: float) -> Any:
        """The ``result`` of one request; raises a typed :class:`RpcError`."""
        rid = next(self._ids)
        body = request_body([(rid, method, params)])[0]
        return parse_single(
            self.host, method, await self._exchange(method, [rid], body, timeout_s), rid
        )

    async def batch(
        self, requests: Sequence[tuple[str, Sequence[Any]]], *, timeout_s: float
    ) -> list[Any | RpcError]:
        """Many calls in one message (a JSON-RPC batch), one answer: values or
        :class:`RpcError` instances, in order; a whole-batch failure raises."""
        ids = [next(self._ids) for _ in requests]
        body = request_body([(i, m, p) for i, (m, p) in zip(ids, requests, strict=True)])
        answer = await self._exchange(f"batch[{len(ids)}]", ids, body, timeout_s)
        return parse_batch(self.host, [m for m, _ in requests], answer, ids)

    async def _exchange(self, label: str, ids: list[int], body: Any, timeout_s: float) -> bytes:
        """Send ``body`` (requests ``ids``) and wait for its answer (one message, by id)."""
        if self.closed:
            raise RpcTransportError(self.host, label, f"websocket {self.reason or 'closed'}")
        self._issued = ids[-1] + 1
        event, box = trio.Event(), []
        for rid in ids:
            self._waiting[rid] = (label, event, box)
        try:
            with trio.fail_after(timeout_s):
                try:
                    self.requests_sent += len(ids)
                    await self.ws.send_message(json.dumps(body))
                except (trio_websocket.ConnectionClosed, OSError, trio.BrokenResourceError):
                    raise RpcTransportError(self.host, label, "websocket closed") from None
                await event.wait()
        except trio.TooSlowError:
            raise RpcTimeout(self.host, label, f"no answer within {timeout_s} s") from None
        finally:
            for rid in ids:
                self._waiting.pop(rid, None)
        if not box:
            raise RpcTransportError(self.host, label, f"websocket {self.reason or 'closed'}")
        return box[0]

    async def subscribe(
        self, params: Sequence[Any], *, timeout_s: float
    ) -> tuple[str, trio.MemoryReceiveChannel]:
        """``eth_subscribe(params)``: the subscription id and a channel of its results."""
        send, recv = trio.open_memory_channel[Any](_SUBSCRIPTION_BUFFER)
        sub = await self.call("eth_subscribe", list(params), timeout_s=timeout_s)
        if not isinstance(sub, str) or not sub:
            raise MalformedResponse(self.host, "eth_subscribe", f"subscription id {sub!r:.40}")
        self._subs[sub] = send
        return sub, recv

    async def unsubscribe(self, sub: str, *, timeout_s: float) -> None:
        """End a subscription: its channel closes; the node is told (best effort)."""
        send = self._subs.pop(sub, None)
        if send is not None:
            send.close()
        with suppress(RpcError):  # gone on our side; a lost unsubscribe costs bandwidth only
            await self.call("eth_unsubscribe", [sub], timeout_s=timeout_s)

    async def aclose(self) -> None:
        """The closing handshake, at most 0.5 s; cancelled (or timed out) it still closes the
        socket (trio-websocket closes its stream when its close is cancelled)."""
        with trio.move_on_after(0.5):
            await self.ws.aclose()


class WsClient:
    """The endpoint client of a WebSocket-only endpoint (the same surface as ``RpcClient``).

    >>> async with WsClient("ws://127.0.0.1:8545", timeout_s=2.0) as client:
    ...     head = await client.call("eth_blockNumber", [])
    """

    def __init__(
        self, url: str, *, timeout_s: float = 2.0, max_response_bytes: int = 16_000_000
    ) -> None:
        self.url = url
        self.host = endpoint_host(url)
        self.timeout_s = timeout_s
        self.max_response_bytes = max_response_bytes
        self._conn: WsConnection | None = None
        self._lock = trio.Lock()
        self._nursery_cm: Any = None
        self._nursery: trio.Nursery | None = None
        self._sent_before = 0

    @property
    def requests_sent(self) -> int:
        return self._sent_before + (self._conn.requests_sent if self._conn else 0)

    async def __aenter__(self) -> Self:
        self._nursery_cm = trio.open_nursery()
        self._nursery = await self._nursery_cm.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._nursery is None:
            return
        nursery, self._nursery = self._nursery, None
        try:
            if self._conn is not None:
                await self._conn.aclose()
        finally:  # closed while cancelled too: the reader's nursery always exits (in order)
            nursery.cancel_scope.cancel()
            await self._nursery_cm.__aexit__(None, None, None)

    def __repr__(self) -> str:
        return f"WsClient({self.host!r})"

    async def _connection(self, method: str) -> WsConnection:
        async with self._lock:
            if self._conn is not None and not self._conn.closed:
                return self._conn
            if self._nursery is None:
                raise RpcTransportError(self.host, method, "client is closed")
            if self._conn is not None:
                self._sent_before += self._conn.requests_sent
            ws = await open_ws(
                self._nursery,
                self.url,
                timeout_s=self.timeout_s,
                max_message_bytes=self.max_response_bytes,
            )
            self._conn = WsConnection(ws, self.host)
            self._nursery.start_soon(self._conn.run)
            return self._conn

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        conn = await self._connection(method)
        return await conn.call(method, params, timeout_s=self.timeout_s)

    async def batch(self, requests: Sequence[tuple[str, Sequence[Any]]]) -> list[Any | RpcError]:
        """Many calls in one message over the one connection (a JSON-RPC batch): values or
        :class:`RpcError`, in order. A whole-batch failure raises (as a failed HTTP batch)."""
        if not requests:
            return []
        conn = await self._connection(f"batch[{len(requests)}]")
        return await conn.batch(requests, timeout_s=self.timeout_s)
