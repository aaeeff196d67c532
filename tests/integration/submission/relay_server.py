"""A bundle relay of our own on loopback, speaking the relay JSON-RPC, building on Anvil.

It plays the outside service the appliance cannot reach in tests: it checks each request's
``X-Flashbots-Signature`` against the exact body, holds ``eth_sendBundle`` bundles by target
block and ``eth_sendPrivateTransaction`` transactions, simulates ``eth_callBundle`` on a
snapshot of the chain, and — when the test calls :meth:`FakeRelay.build` — includes the bundles
for the next block in Anvil's next block, in order (``eth_sendRawTransaction`` of each, then
``evm_mine``), as a builder would. Misbehaviour on demand: ``mode`` = ``ok`` | ``refuse``
(JSON-RPC error) | ``5xx`` | ``garbage`` (not JSON) | ``hang`` (never answers).

Runs as a Trio task in the test's own loop::

    relay = FakeRelay(dn.rpc)
    url = await nursery.start(relay.serve)
"""

from __future__ import annotations

import json
from collections import defaultdict

import h11
import httpx
import trio

from appliance.submission.identity import SIGNATURE_HEADER, verify_signature

__all__ = ["FakeRelay"]


class FakeRelay:
    def __init__(self, anvil_url: str, *, mode: str = "ok") -> None:
        self.anvil_url = anvil_url
        self.mode = mode
        self.bundles: dict[int, list[list[str]]] = defaultdict(list)
        self.private: list[str] = []
        self.requests: list[dict] = []  # every JSON-RPC request that arrived, verified or not
        self.signers: list[str | None] = []
        self.included: list[str] = []  # tx hashes this relay put on chain

    # ------------------------------------------------------------------ HTTP
    async def serve(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        task_status.started(f"http://127.0.0.1:{port}")
        await trio.serve_listeners(self._connection, listeners)

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
                status, payload = await self._handle(headers, body)
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

    async def _handle(self, headers: dict[str, str], body: bytes) -> tuple[int | None, bytes]:
        try:
            doc = json.loads(body)
        except ValueError:
            return 400, b'{"error": "not JSON"}'
        self.requests.append(doc)
        signer = verify_signature(headers.get(SIGNATURE_HEADER.lower(), ""), body)
        self.signers.append(signer)
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
            head = int((await self._anvil("eth_blockNumber", [])), 16)
            if target <= head:
                return error(-32000, f"block {target} is in the past (head {head})")
            self.bundles[target].append(list(params[0]["txs"]))
            result = {"bundleHash": "0x" + f"{len(self.requests):064x}"}
        elif method == "eth_callBundle":
            result = {"results": await self._simulate(params[0]["txs"])}
        elif method == "eth_sendPrivateTransaction":
            self.private.append(params[0]["tx"])
            result = "0x" + f"{len(self.requests):064x}"
        else:
            return error(-32601, f"method {method} not found")
        return 200, json.dumps({"jsonrpc": "2.0", "id": doc.get("id"), "result": result}).encode()

    # ------------------------------------------------------------------ the builder side
    async def _anvil(self, method: str, params: list):
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                self.anvil_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            )
        doc = answer.json()
        if "error" in doc:
            raise RuntimeError(f"anvil {method}: {doc['error']}")
        return doc["result"]

    async def _simulate(self, txs: list[str]) -> list[dict]:
        snap = await self._anvil("evm_snapshot", [])
        try:
            hashes = [await self._anvil("eth_sendRawTransaction", [tx]) for tx in txs]
            await self._anvil("evm_mine", [])
            out = []
            for h in hashes:
                receipt = await self._anvil("eth_getTransactionReceipt", [h])
                out.append(
                    {
                        "txHash": h,
                        "gasUsed": int(receipt["gasUsed"], 16),
                        "error": None if receipt["status"] == "0x1" else "execution reverted",
                    }
                )
            return out
        finally:
            await self._anvil("evm_revert", [snap])

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
