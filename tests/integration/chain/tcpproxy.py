"""A real loopback TCP forwarder in front of a node, which a test can cut or freeze.

    proxy = TcpProxy(port_of_anvil)
    await nursery.start(proxy.serve)        # proxy.port; ws://127.0.0.1:{proxy.port}
    proxy.cut()       # close every connection now and refuse new ones (they are closed at once)
    proxy.freeze()    # keep connections open but forward nothing (a silent subscription)
    proxy.restore()   # forward again (new connections only after a cut)

Runs as Trio tasks in the test's own loop; bytes are forwarded untouched (HTTP or WebSocket).
"""

from __future__ import annotations

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
                            nursery.start_soon(self._pump, client, upstream, nursery.cancel_scope)
                            nursery.start_soon(self._pump, upstream, client, nursery.cancel_scope)
                    finally:
                        self._scopes.discard(scope)

    async def _pump(
        self, src: trio.SocketStream, dst: trio.SocketStream, scope: trio.CancelScope
    ) -> None:
        try:
            while True:
                data = await src.receive_some(65536)
                if not data:
                    break
                while self.state == "frozen":
                    await self._thawed.wait()
                await dst.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        scope.cancel()
