"""A real fault-injecting HTTP/1.1 proxy on loopback, in front of a real node (Anvil).

Runs as a Trio task in the test's own loop::

    proxy = FaultProxy(dn.rpc, seed=1)
    port = await nursery.start(proxy.serve)     # proxy.url == f"http://127.0.0.1:{port}"
    proxy.rate = 0.3                            # 30 % of requests get one of proxy.kinds

Faults (``kinds``): ``drop`` (close without answering), ``delay`` (hold the request
``delay_s``, then forward), ``5xx`` (HTTP 503), ``truncated`` (declare the full length, send half
the body, close), ``wrong_id`` (forward, then corrupt the JSON-RPC id). Independently,
``stale_head = N`` freezes the head the proxy shows at block N (``eth_blockNumber`` and
``eth_getBlockByNumber("latest")``) — a lagging node; ``hold`` (a set of method names) holds
those single requests unanswered until the connection closes. ``methods`` counts requests by
JSON-RPC method (a batch counts each of its methods), ``calls`` lists each ``(method, params)``.

Faults are chosen by a seeded RNG, so a failing run can be replayed. Counters: ``requests``,
``injected`` (per kind).
"""

from __future__ import annotations

import json
import random
from collections import Counter

import httpx
import trio

__all__ = ["FaultProxy"]

KINDS = ("drop", "delay", "5xx", "truncated", "wrong_id")
_MAX_HEADER = 64 * 1024


class FaultProxy:
    def __init__(
        self, upstream: str, *, seed: int = 0, kinds: tuple[str, ...] = KINDS, delay_s: float = 1.0
    ) -> None:
        self.upstream = upstream
        self.rng = random.Random(seed)
        self.kinds = kinds
        self.rate = 0.0
        self.delay_s = delay_s
        self.stale_head: int | None = None
        self.port = 0
        self.requests = 0
        self.injected: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()
        self.calls: list[tuple[str, object]] = []
        self.hold: set[str] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def serve(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with httpx.AsyncClient(timeout=30.0) as client:
            self._client = client
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
            self.port = listeners[0].socket.getsockname()[1]
            async with trio.open_nursery() as nursery:
                nursery.start_soon(trio.serve_listeners, self._connection, listeners)
                task_status.started(self.port)

    # ------------------------------------------------------------------ HTTP plumbing
    async def _connection(self, stream: trio.SocketStream) -> None:
        buffer = b""
        try:
            async with stream:
                while True:
                    request = await self._read_request(stream, buffer)
                    if request is None:
                        return
                    body, buffer = request
                    if not await self._handle(stream, body):
                        return
        except (trio.BrokenResourceError, trio.ClosedResourceError, ConnectionError):
            return

    async def _read_request(
        self, stream: trio.SocketStream, buffer: bytes
    ) -> tuple[bytes, bytes] | None:
        while b"\r\n\r\n" not in buffer:
            if len(buffer) > _MAX_HEADER:
                return None
            chunk = await stream.receive_some(65536)
            if not chunk:
                return None
            buffer += chunk
        head, rest = buffer.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = await stream.receive_some(65536)
            if not chunk:
                return None
            rest += chunk
        return rest[:length], rest[length:]

    @staticmethod
    def _response(status: int, body: bytes, *, declared: int | None = None) -> bytes:
        reason = {200: "OK", 503: "Service Unavailable"}.get(status, "Error")
        length = len(body) if declared is None else declared
        head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
        return head.encode() + body

    # ------------------------------------------------------------------ faults
    async def _handle(self, stream: trio.SocketStream, body: bytes) -> bool:
        """Answer one request; False closes the connection."""
        self.requests += 1
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        items = payload if isinstance(payload, list) else [payload]
        names = [i.get("method") for i in items if isinstance(i, dict)]
        self.methods.update(names)
        self.calls += [(i.get("method"), i.get("params")) for i in items if isinstance(i, dict)]
        if isinstance(payload, dict) and payload.get("method") in self.hold:
            await trio.sleep_forever()
        kind = self.rng.choice(self.kinds) if self.kinds and self.rng.random() < self.rate else None
        if kind is not None:
            self.injected[kind] += 1
        if kind == "drop":
            return False
        if kind == "5xx":
            await stream.send_all(self._response(503, b"upstream unavailable"))
            return True
        if kind == "delay":
            await trio.sleep(self.delay_s)
        answer = await self._forward(body)
        if kind == "truncated":
            await stream.send_all(
                self._response(200, answer[: len(answer) // 2], declared=len(answer))
            )
            return False
        if kind == "wrong_id":
            answer = _corrupt_id(answer)
        await stream.send_all(self._response(200, answer))
        return True

    async def _forward(self, body: bytes) -> bytes:
        if self.stale_head is not None:
            body = self._stale_request(body)
            stale = self._stale_answer(body)
            if stale is not None:
                return stale
        response = await self._client.post(
            self.upstream, content=body, headers={"content-type": "application/json"}
        )
        return response.content

    def _stale_request(self, body: bytes) -> bytes:
        try:
            payload = json.loads(body)
        except ValueError:
            return body
        items = payload if isinstance(payload, list) else [payload]
        for item in items:
            if item.get("method") == "eth_getBlockByNumber" and item["params"][:1] == ["latest"]:
                item["params"][0] = hex(self.stale_head)
        return json.dumps(payload).encode()

    def _stale_answer(self, body: bytes) -> bytes | None:
        payload = json.loads(body)
        if isinstance(payload, dict) and payload.get("method") == "eth_blockNumber":
            return json.dumps(
                {"jsonrpc": "2.0", "id": payload["id"], "result": hex(self.stale_head)}
            ).encode()
        return None


def _corrupt_id(answer: bytes) -> bytes:
    try:
        payload = json.loads(answer)
    except ValueError:
        return answer
    target = payload[0] if isinstance(payload, list) and payload else payload
    if isinstance(target, dict) and isinstance(target.get("id"), int):
        target["id"] += 1000
    return json.dumps(payload).encode()
