"""A real loopback TCP forwarder in front of a node, which a test can cut or freeze.

    proxy = TcpProxy(port_of_anvil)
    await nursery.start(proxy.serve)        # proxy.port; ws://127.0.0.1:{proxy.port}
    proxy.cut()       # close every connection now and refuse new ones (they are closed at once)
    proxy.freeze()    # keep connections open but forward nothing (a silent subscription)
    proxy.restore()   # forward again (new connections only after a cut)
    proxy.drop_heads = {n, ...}   # WebSocket: newHeads notifications of these blocks are not
                                  # forwarded (proxy.dropped lists them); everything else is

Runs as Trio tasks in the test's own loop; bytes are forwarded untouched (HTTP or WebSocket).
The node's side of a WebSocket is forwarded frame by frame (RFC 6455, the server's frames are
unmasked), so that while ``drop_heads`` is set a ``newHeads`` notification of a listed block is
left out, as a subscription that misses a head would.
"""

from __future__ import annotations

import json

import trio

__all__ = ["TcpProxy"]


class TcpProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream_port = upstream_port
        self.host = host
        self.port = 0
        self.state = "open"  # open | cut | frozen
        self.connections = 0
        self._scopes: set[trio.CancelScope] = set()
        self._thawed = trio.Event()
        self.drop_heads: set[int] = set()
        self.dropped: list[int] = []

    async def serve(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host=self.host)
        self.port = listeners[0].socket.getsockname()[1]
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.serve_listeners, self._connection, listeners)
            task_status.started(self.port)

    def cut(self) -> None:
        self.state = "cut"
        for scope in list(self._scopes):
            scope.cancel()

    def freeze(self) -> None:
        self.state = "frozen"
        self._thawed = trio.Event()

    def restore(self) -> None:
        self.state = "open"
        self._thawed.set()

    async def _connection(self, client: trio.SocketStream) -> None:
        async with client:
            if self.state == "cut":
                return
            self.connections += 1
            try:
                upstream = await trio.open_tcp_stream(self.host, self.upstream_port)
            except OSError:
                return
            async with upstream:
                with trio.CancelScope() as scope:
                    self._scopes.add(scope)
                    try:
                        async with trio.open_nursery() as nursery:
                            cancel = nursery.cancel_scope
                            nursery.start_soon(self._pump, client, upstream, cancel, False)
                            nursery.start_soon(self._pump, upstream, client, cancel, None)
                    finally:
                        self._scopes.discard(scope)

    async def _pump(
        self,
        src: trio.SocketStream,
        dst: trio.SocketStream,
        scope: trio.CancelScope,
        websocket: bool | None,
    ) -> None:
        """One direction. The client's (``websocket=False``) byte for byte; the node's
        (``None``: until its first response head is whole) byte for byte too unless it answered
        ``101``: a WebSocket is forwarded frame by frame, so ``drop_heads`` can take effect at
        any moment."""
        buf = bytearray()
        try:
            while True:
                data = await src.receive_some(65536)
                if not data:
                    break
                while self.state == "frozen":
                    await self._thawed.wait()
                if websocket is False:
                    await dst.send_all(data)
                    continue
                buf += data
                out = bytearray()
                if websocket is None:
                    end = buf.find(b"\r\n\r\n")
                    if end < 0:
                        continue
                    websocket = buf.startswith(b"HTTP/1.1 101")
                    out += buf[: end + 4]
                    del buf[: end + 4]
                    if not websocket:
                        out += buf
                        buf.clear()
                while websocket and (taken := _take_frame(buf)) is not None:
                    frame, header = taken
                    if not self._drops(frame, header):
                        out += frame
                if out:
                    await dst.send_all(bytes(out))
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        scope.cancel()

    def _drops(self, frame: bytes, header: int) -> bool:
        """Whether ``frame`` is a ``newHeads`` notification of a block in ``drop_heads``; only
        a whole unmasked, uncompressed text message can be (FIN + text, no RSV bits)."""
        if frame[0] != 0x81 or frame[1] & 0x80:
            return False
        try:
            message = json.loads(frame[header:])
            number = int(message["params"]["result"]["number"], 16)
        except (ValueError, KeyError, TypeError):
            return False
        if message.get("method") == "eth_subscription" and number in self.drop_heads:
            self.dropped.append(number)
            return True
        return False


def _take_frame(buf: bytearray) -> tuple[bytes, int] | None:
    """One whole frame off the front of ``buf`` and its header's length, or None while it is
    incomplete."""
    if len(buf) < 2:
        return None
    size, offset = buf[1] & 0x7F, 2
    if size == 126:
        if len(buf) < 4:
            return None
        size, offset = int.from_bytes(buf[2:4], "big"), 4
    elif size == 127:
        if len(buf) < 10:
            return None
        size, offset = int.from_bytes(buf[2:10], "big"), 10
    if buf[1] & 0x80:
        offset += 4
    if len(buf) < offset + size:
        return None
    frame = bytes(buf[: offset + size])
    del buf[: offset + size]
    return frame, offset
