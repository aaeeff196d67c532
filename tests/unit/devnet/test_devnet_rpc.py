"""The devnet's JSON-RPC layer (over the chain RpcClient) at the protocol level: malformed answers, batching."""

from __future__ import annotations

import json

import httpx
import pytest

from appliance.devnet import DevnetRpcError
from appliance.devnet._rpc import DevnetRpc


def _rpc(handler) -> DevnetRpc:
    return DevnetRpc("http://127.0.0.1:1", transport=httpx.MockTransport(handler))


async def test_call_returns_result():
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": "0x7a69"})

    async with _rpc(handler) as rpc:
        assert await rpc.call("eth_chainId") == "0x7a69"


async def test_error_answer_names_the_method():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "nonce too low"}},
        )

    async with _rpc(handler) as rpc:
        with pytest.raises(DevnetRpcError, match="eth_sendTransaction failed: nonce too low"):
            await rpc.call("eth_sendTransaction", [{}])


async def test_non_json_answer():
    async with _rpc(lambda request: httpx.Response(200, text="<html>")) as rpc:
        with pytest.raises(DevnetRpcError, match="non-JSON"):
            await rpc.call("eth_chainId")


async def test_connection_refused_is_a_devnet_error():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with _rpc(handler) as rpc:
        with pytest.raises(DevnetRpcError, match=r"127\.0\.0\.1:1"):
            await rpc.call("eth_chainId")


async def test_batch_keeps_order_across_chunks_and_out_of_order_answers():
    sizes = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sizes.append(len(body))
        answers = [{"jsonrpc": "2.0", "id": c["id"], "result": c["params"][0]} for c in body]
        return httpx.Response(200, json=list(reversed(answers)))

    async with _rpc(handler) as rpc:
        results = await rpc.batch([("echo", [i]) for i in range(25)], chunk=10)
    assert results == list(range(25))
    assert sizes == [10, 10, 5]


async def test_batch_splits_large_bodies():
    sizes = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sizes.append(len(request.content))
        return httpx.Response(
            200, json=[{"jsonrpc": "2.0", "id": c["id"], "result": None} for c in body]
        )

    async with _rpc(handler) as rpc:
        await rpc.batch(
            [("eth_sendTransaction", [{"data": "0x" + "00" * 200_000}]) for _ in range(12)]
        )
    assert len(sizes) > 1 and max(sizes) < 1_500_000


async def test_batch_with_a_missing_answer():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[])

    async with _rpc(handler) as rpc:
        with pytest.raises(DevnetRpcError, match="1 of 1 requests unanswered"):
            await rpc.batch([("eth_blockNumber", [])])


async def test_batch_rejected_whole():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32600, "message": "Invalid request"},
            },
        )

    async with _rpc(handler) as rpc:
        with pytest.raises(DevnetRpcError, match="Invalid request"):
            await rpc.batch([("eth_blockNumber", [])])
