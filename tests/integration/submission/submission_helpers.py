"""Helpers of the submission tests: a recording proxy in front of Anvil (the "public endpoint"),
relay processes, a searcher key file, and the execution harness that also keeps relay health."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import trio
from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "execution"))

from exec_helpers import (
    Harness,
    deploy_executors,
    exec_config,
    make_candidate,
    order_for,
    plant,
)
from relay_server import RelayProcess

from appliance.events import RelayHealthChanged, TradeUpdated

__all__ = [
    "SEARCHER_KEY",
    "RecordingProxy",
    "RelayHarness",
    "deploy_executors",
    "exec_config",
    "make_candidate",
    "order_for",
    "plant",
    "relay_processes",
    "write_searcher_key",
]

# the relay identity of these tests, derived from its name (no key literal): never a trading key
SEARCHER_KEY = "0x" + keccak(text="arb-appliance test: pipeline relay identity").hex()
SEND_METHODS = frozenset(
    {"eth_sendRawTransaction", "eth_sendBundle", "eth_sendPrivateTransaction", "eth_callBundle"}
)


def write_searcher_key(directory: Path) -> Path:
    path = directory / "searcher.key"
    path.write_text(SEARCHER_KEY + "\n")
    os.chmod(path, 0o600)
    return path


class RecordingProxy:
    """The public endpoint of the tests: forwards every JSON-RPC request to Anvil and records
    its method. Real HTTP in a thread of its own."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.methods: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30, trust_env=False)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                doc = json.loads(body)
                with proxy._lock:
                    for request in doc if isinstance(doc, list) else [doc]:
                        proxy.methods[request.get("method")] += 1
                data = proxy._http.post(
                    proxy.upstream, content=body, headers={"content-type": "application/json"}
                ).content
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def sends(self) -> dict[str, int]:
        with self._lock:
            return {m: n for m, n in self.methods.items() if m in SEND_METHODS}

    @contextmanager
    def running(self) -> Iterator[RecordingProxy]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            self._http.close()
            thread.join()


@contextmanager
def relay_processes(anvil_url: str, modes: list[str]) -> Iterator[list[RelayProcess]]:
    with ExitStack() as stack:
        yield [stack.enter_context(RelayProcess(anvil_url, mode=m)) for m in modes]


class RelayHarness(Harness):
    """The execution harness; relay health events are kept aside (they are not trades)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relay_events: list[RelayHealthChanged] = []

    async def next_update(self) -> TradeUpdated:
        while True:
            with trio.fail_after(60):
                update = await self.results_recv.receive()
            if isinstance(update, RelayHealthChanged):
                self.relay_events.append(update)
                continue
            self.journal.upsert_trade(update)
            self.updates.append(update)
            return update
