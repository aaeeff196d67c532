"""A bundle relay of our own on loopback, speaking the relay JSON-RPC, building on Anvil.

It plays the outside service the appliance cannot reach in tests: it checks each request's
``X-Flashbots-Signature`` against the exact body, holds ``eth_sendBundle`` bundles by target
block and ``eth_sendPrivateTransaction`` transactions, simulates ``eth_callBundle`` on a
snapshot of the chain, and — when the test calls :meth:`FakeRelay.build` — includes the bundles
for the next block in Anvil's next block, in order (``eth_sendRawTransaction`` of each, then
``evm_mine``), as a builder would. Misbehaviour on demand: ``mode`` = ``ok`` | ``refuse``
(JSON-RPC error) | ``5xx`` | ``garbage`` (not JSON) | ``hang`` (never answers) | ``simrevert``
(``eth_callBundle`` reports every transaction reverted).

Runs as a Trio task in the test's own loop::

    relay = FakeRelay(dn.rpc)
    url = await nursery.start(relay.serve)

or as a process of its own (``python relay_server.py --anvil URL [--mode ok]`` prints its URL on
the first line of stdout; :class:`RelayProcess` starts one). A process is driven through extra
JSON-RPC methods no relay has (unsigned, never affected by ``mode``): ``relay_build`` (mine the
next block with its bundles), ``relay_mode`` (change the misbehaviour), ``relay_log`` (the
requests it received: method, target block, signer, head at arrival).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import h11
import httpx
import trio
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak
from hexbytes import HexBytes

from appliance.submission.identity import SIGNATURE_HEADER, verify_signature

__all__ = ["FakeRelay", "RelayProcess", "control"]

CONTROL = ("relay_build", "relay_mode", "relay_log")


class FakeRelay:
    def __init__(self, anvil_url: str, *, mode: str = "ok") -> None:
        self.anvil_url = anvil_url
        self.mode = mode
        self.bundles: dict[int, list[list[str]]] = defaultdict(list)
        self.private: list[str] = []
        self.requests: list[dict] = []  # every JSON-RPC request that arrived, verified or not
        self.signers: list[str | None] = []
        self.included: list[str] = []  # tx hashes this relay put on chain
        self.log: list[dict] = []  # per relay request: method, target, signer, head
        self._client: httpx.AsyncClient | None = None

    # ------------------------------------------------------------------ HTTP
    async def serve(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        task_status.started(f"http://127.0.0.1:{port}")
        try:
            await trio.serve_listeners(self._connection, listeners)
        finally:
            if self._client is not None:
                with trio.CancelScope(shield=True):
                    await self._client.aclose()
                self._client = None

    async def _connection(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        async with stream:
            while True:
                request, body = None, b""
                while True:
                    event = conn.next_event()
                    if event is h11.NEED_DATA:
                        data = await stream.receive_some(65536)
                        if not data:
                            return
                        conn.receive_data(data)
                    elif isinstance(event, h11.Request):
                        request = event
                    elif isinstance(event, h11.Data):
                        body += event.data
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    elif isinstance(event, h11.ConnectionClosed):
                        return
                headers = {k.decode().lower(): v.decode() for k, v in request.headers}
                try:
                    status, payload = await self._handle(headers, body)
                except Exception as exc:  # a relay answers its own failure; it never dies of it
                    status, payload = 500, json.dumps({"error": repr(exc)[:200]}).encode()
                if status is None:  # hang: hold the connection, never answer
                    await trio.sleep_forever()
                await stream.send_all(
                    conn.send(
                        h11.Response(
                            status_code=status,
                            headers=[
                                ("content-type", "application/json"),
                                ("content-length", str(len(payload))),
                            ],
                        )
                    )
                )
                await stream.send_all(conn.send(h11.Data(data=payload)))
                await stream.send_all(conn.send(h11.EndOfMessage()))
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()

    async def _control(self, doc: dict) -> tuple[int, bytes]:
        method, params = doc["method"], doc.get("params") or []
        if method == "relay_build":
            result = await self.build()
        elif method == "relay_mode":
            self.mode = params[0]
            result = self.mode
        else:
            result = {"log": self.log, "included": self.included}
        return 200, json.dumps({"jsonrpc": "2.0", "id": doc.get("id"), "result": result}).encode()

    async def _handle(self, headers: dict[str, str], body: bytes) -> tuple[int | None, bytes]:
        try:
            doc = json.loads(body)
        except ValueError:
            return 400, b'{"error": "not JSON"}'
        if isinstance(doc, dict) and doc.get("method") in CONTROL:
            return await self._control(doc)
        self.requests.append(doc)
        signer = verify_signature(headers.get(SIGNATURE_HEADER.lower(), ""), body)
        self.signers.append(signer)
        entry = {"method": doc.get("method"), "signer": signer, "mode": self.mode}
        with contextlib.suppress(Exception):
            entry["target"] = int(doc["params"][0]["blockNumber"], 16)
        if entry["method"] == "eth_sendBundle":  # the head it arrived at (judges its target)
            with contextlib.suppress(Exception):
                entry["head"] = int(await self._anvil("eth_blockNumber", []), 16)
        self.log.append(entry)
        if self.mode == "hang":
            return None, b""
        if self.mode == "5xx":
            return 503, b"service unavailable"
        if self.mode == "garbage":
            return 200, b"<html>relay maintenance</html>"

        def error(code: int, message: str) -> tuple[int, bytes]:
            return 200, json.dumps(
                {"jsonrpc": "2.0", "id": doc.get("id"), "error": {"code": code, "message": message}}
            ).encode()

        if signer is None:
            return error(-32600, "missing or invalid X-Flashbots-Signature")
        if self.mode == "refuse":
            return error(-32000, "bundle refused by policy")
        method, params = doc.get("method"), doc.get("params") or [{}]
        if method == "eth_sendBundle":
            target = int(params[0]["blockNumber"], 16)
            head = entry.get("head")
            if head is None:
                head = int(await self._anvil("eth_blockNumber", []), 16)
            if target <= head:
                return error(-32000, f"block {target} is in the past (head {head})")
            self.bundles[target].append(list(params[0]["txs"]))
            result = {"bundleHash": "0x" + f"{len(self.requests):064x}"}
        elif method == "eth_callBundle":
            result = {"results": await self._simulate(params[0]["txs"])}
            if self.mode == "simrevert":  # its builder state disagrees: our tx reverts there
                for r in result["results"]:
                    r["error"] = "execution reverted: executor: profit below minimum"
        elif method == "eth_sendPrivateTransaction":
            self.private.append(params[0]["tx"])
            result = "0x" + f"{len(self.requests):064x}"
        else:
            return error(-32601, f"method {method} not found")
        return 200, json.dumps({"jsonrpc": "2.0", "id": doc.get("id"), "result": result}).encode()

    # ------------------------------------------------------------------ the builder side
    async def _anvil(self, method: str, params: list):
        if self._client is None:  # one connection pool for the relay's life (its own loop)
            self._client = httpx.AsyncClient(trust_env=False, timeout=30)
        answer = await self._client.post(
            self.anvil_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        )
        doc = answer.json()
        if "error" in doc:
            raise RuntimeError(f"anvil {method}: {doc['error']}")
        return doc["result"]

    async def _simulate(self, txs: list[str]) -> list[dict]:
        """Each transaction as ``eth_call`` + ``eth_estimateGas`` on the head's state: read-only,
        so several relays may simulate on one Anvil at once (one-transaction bundles)."""
        out = []
        for tx in txs:
            raw = HexBytes(tx)
            fields = TypedTransaction.from_bytes(raw).as_dict()
            call = {
                "from": Account.recover_transaction(raw),
                "to": "0x" + bytes(fields["to"]).hex(),
                "data": "0x" + bytes(fields["data"]).hex(),
                "value": hex(fields["value"]),
                "gas": hex(fields["gas"]),
            }
            tx_hash = "0x" + keccak(bytes(raw)).hex()
            try:
                await self._anvil("eth_call", [call, "latest"])
                gas = int(await self._anvil("eth_estimateGas", [call, "latest"]), 16)
            except RuntimeError as exc:
                out.append(
                    {
                        "txHash": tx_hash,
                        "gasUsed": 0,
                        "error": "execution reverted",
                        "revert": str(exc)[:200],
                    }
                )
            else:
                out.append({"txHash": tx_hash, "gasUsed": gas, "error": None})
        return out

    async def build(self) -> int:
        """Mine the next block with the bundles for it (in order) and held private txs."""
        head = int(await self._anvil("eth_blockNumber", []), 16)
        for bundle in self.bundles.pop(head + 1, []):
            for tx in bundle:
                self.included.append(await self._anvil("eth_sendRawTransaction", [tx]))
        for tx in self.private:
            self.included.append(await self._anvil("eth_sendRawTransaction", [tx]))
        self.private.clear()
        await self._anvil("evm_mine", [])
        return head + 1


# ---------------------------------------------------------------------- as a process
class RelayProcess:
    """A FakeRelay in a process of its own; ``with RelayProcess(anvil_url) as relay: relay.url``.

    Stopped by its own PID (terminate, then kill) when the block ends."""

    def __init__(self, anvil_url: str, *, mode: str = "ok") -> None:
        self.anvil_url, self.mode = anvil_url, mode
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> RelayProcess:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__)), "--anvil", self.anvil_url, "--mode", self.mode],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.__exit__()
            raise RuntimeError(f"relay process did not start: {line!r}")
        self.url = line
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc = None


async def control(http: httpx.AsyncClient, url: str, method: str, *params):
    """Call a control method of a relay process (``relay_build``, ``relay_mode``, ``relay_log``)."""
    answer = await http.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=30
    )
    return answer.json()["result"]


def main() -> None:
    parser = argparse.ArgumentParser(description="a bundle relay of our own, for tests")
    parser.add_argument("--anvil", required=True)
    parser.add_argument("--mode", default="ok")
    args = parser.parse_args()
    relay = FakeRelay(args.anvil, mode=args.mode)

    async def run() -> None:
        async with trio.open_nursery() as nursery:
            url = await nursery.start(relay.serve)
            print(url, flush=True)

    trio.run(run)


if __name__ == "__main__":
    main()
