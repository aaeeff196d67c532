"""A lying JSON-RPC endpoint: real HTTP on loopback, proxying to Anvil, the transport perfect and
the content false (issue #23, "data-level lies").

    liar = LyingNode(dn.rpc)
    await nursery.start(liar.serve)      # liar.url
    liar.lie = "stale"      # every block's timestamp an hour old (hashes untouched)
    liar.lie = "future"     # a head 1,000 blocks ahead that does not exist
    liar.lie = "backwards"  # a head 50 blocks below the real one (a real, older block)
    liar.lie = "no_logs"    # eth_getLogs answers [] (the pools' Sync logs withheld)
    liar.lie = "no_calls"   # eth_call answers a node's error (as a pruned node's "header not found")
    liar.lie = None         # the truth again

Built on :class:`faultproxy.FaultProxy` (its HTTP plumbing and counters).
"""

from __future__ import annotations

import json
from typing import Any

from faultproxy import FaultProxy

__all__ = ["LyingNode"]

STALE_S = 3600
AHEAD = 1000
BEHIND = 50


class LyingNode(FaultProxy):
    def __init__(self, upstream: str) -> None:
        super().__init__(upstream, kinds=())
        self.lie: str | None = None
        self.lies_told = 0

    async def _forward(self, body: bytes) -> bytes:
        if self.lie is None:
            return await super()._forward(body)
        payload = json.loads(body)
        items = payload if isinstance(payload, list) else [payload]
        answers = [await self._one(item) for item in items]
        return json.dumps(answers if isinstance(payload, list) else answers[0]).encode()

    async def _upstream(self, item: dict[str, Any]) -> dict[str, Any]:
        response = await self._client.post(self.upstream, json=item)
        return response.json()

    async def _real_head(self) -> int:
        answer = await self._upstream({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber"})
        return int(answer["result"], 16)

    async def _one(self, item: dict[str, Any]) -> dict[str, Any]:
        method, params = item.get("method"), item.get("params") or []
        latest = method == "eth_getBlockByNumber" and params[:1] == ["latest"]
        if self.lie == "future" and (method == "eth_blockNumber" or latest):
            self.lies_told += 1
            head = await self._real_head() + AHEAD
            if method == "eth_blockNumber":
                return {"jsonrpc": "2.0", "id": item["id"], "result": hex(head)}
            real = await self._upstream({**item, "params": ["latest", False]})
            fake = dict(real["result"])
            fake["number"] = hex(head)
            fake["hash"] = "0x" + f"{head:064x}"
            fake["parentHash"] = "0x" + f"{head - 1:064x}"
            return {**real, "result": fake}
        if self.lie == "backwards" and (method == "eth_blockNumber" or latest):
            self.lies_told += 1
            head = await self._real_head() - BEHIND
            if method == "eth_blockNumber":
                return {"jsonrpc": "2.0", "id": item["id"], "result": hex(head)}
            item = {**item, "params": [hex(head), *params[1:]]}
        if self.lie == "no_logs" and method == "eth_getLogs":
            self.lies_told += 1
            return {"jsonrpc": "2.0", "id": item["id"], "result": []}
        if self.lie == "no_calls" and method == "eth_call":
            self.lies_told += 1
            error = {"code": -32000, "message": "header not found"}
            return {"jsonrpc": "2.0", "id": item["id"], "error": error}
        answer = await self._upstream(item)
        if self.lie == "stale" and method in ("eth_getBlockByNumber", "eth_getBlockByHash"):
            block = answer.get("result")
            if isinstance(block, dict):
                self.lies_told += 1
                block["timestamp"] = hex(int(block["timestamp"], 16) - STALE_S)
        return answer
