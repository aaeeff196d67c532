"""A JSON-RPC endpoint of our own on loopback that forwards to a real node and can lie.

Real HTTP (``ThreadingHTTPServer`` in a thread), the node's real answers, except for the methods
given a ``lie``: a function of the real result that returns what the endpoint claims instead
(a null block, a malformed receipt). Each served lie is counted.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class LyingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.lies: dict[str, Callable[[Any], Any]] = {}
        self.served = Counter()
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30, trust_env=False)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                out = proxy.answer(json.loads(body))
                data = json.dumps(out).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, request: Any) -> Any:
        if isinstance(request, list):
            return [self.answer(r) for r in request]
        real = self._http.post(self.upstream, json=request).json()
        with self._lock:
            lie = self.lies.get(request.get("method"))
            if lie is not None and "result" in real:
                real = {**real, "result": lie(real["result"])}
                self.served[request["method"]] += 1
        return real

    def lie(self, method: str, how: Callable[[Any], Any] | None) -> None:
        with self._lock:
            if how is None:
                self.lies.pop(method, None)
            else:
                self.lies[method] = how

    @contextmanager
    def running(self) -> Iterator[LyingProxy]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            self._http.close()
            thread.join()
