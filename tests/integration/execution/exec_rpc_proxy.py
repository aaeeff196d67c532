"""A JSON-RPC endpoint of our own on loopback in front of a real node: it records every method
asked, forwards to the node, and can lie.

Real HTTP (``ThreadingHTTPServer`` in a thread), the node's real answers, except for the methods
given a ``lie``: a function of the real result that returns what the endpoint claims instead
(a null block, a malformed receipt), and those ``refused``: answered with a JSON-RPC error
object (e.g. -32601, a method the endpoint does not implement) without asking the node. Each served lie is counted (``served``); every request's
method is counted (``methods``), so the submission tests can prove what never reached it.
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

__all__ = ["SEND_METHODS", "RpcProxy"]

SEND_METHODS = frozenset(
    {"eth_sendRawTransaction", "eth_sendBundle", "eth_sendPrivateTransaction", "eth_callBundle"}
)


class RpcProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.lies: dict[str, Callable[[Any], Any]] = {}
        self.refused: dict[str, tuple[int, str]] = {}
        self.served: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30, trust_env=False)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = proxy.handle(self.rfile.read(int(self.headers["content-length"])))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def handle(self, body: bytes) -> bytes:
        """The answer to one POST body: the node's own bytes while no lie is set, else the
        node's answers request by request with the lies laid over them."""
        doc = json.loads(body)
        with self._lock:
            for request in doc if isinstance(doc, list) else [doc]:
                self.methods[request.get("method")] += 1
            lying = bool(self.lies or self.refused)
        if not lying:
            return self._http.post(
                self.upstream, content=body, headers={"content-type": "application/json"}
            ).content
        return json.dumps(self.answer(doc)).encode()

    def answer(self, request: Any) -> Any:
        if isinstance(request, list):
            return [self.answer(r) for r in request]
        with self._lock:
            refusal = self.refused.get(request.get("method"))
            if refusal is not None:
                self.served[request["method"]] += 1
                code, message = refusal
                return {
                    "jsonrpc": "2.0",
                    "id": request.get("id"),
                    "error": {"code": code, "message": message},
                }
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

    def refuse(self, method: str, code: int = -32601, message: str = "method not found") -> None:
        with self._lock:
            self.refused[method] = (code, message)

    def sends(self) -> dict[str, int]:
        """How often each sending method (public transaction, bundle, relay call) was asked."""
        with self._lock:
            return {m: n for m, n in self.methods.items() if m in SEND_METHODS}

    @contextmanager
    def running(self) -> Iterator[RpcProxy]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            self._http.close()
            thread.join()
