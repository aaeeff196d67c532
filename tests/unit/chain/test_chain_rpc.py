"""RpcClient at the protocol level (httpx.MockTransport): HTTP faults become typed errors."""

from __future__ import annotations

import json

import httpx
import pytest
import trio

from appliance.chain.errors import (
    MalformedResponse,
    RateLimited,
    RpcTimeout,
    RpcTransportError,
)
from appliance.chain.rpc import RpcClient, endpoint_host

URL = "https://user:pw@rpc.example.com:8443/v2/SECRETKEY"


def echo(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    if isinstance(body, list):
        return httpx.Response(
            200,
            json=[{"jsonrpc": "2.0", "id": r["id"], "result": r["method"]} for r in reversed(body)],
        )
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": body["params"]})


def client(handler, **kw) -> RpcClient:
    return RpcClient(
        URL, timeout_s=kw.pop("timeout_s", 1.0), transport=httpx.MockTransport(handler), **kw
    )


def test_host_never_carries_path_or_credentials():
    assert endpoint_host(URL) == "rpc.example.com:8443"
    assert endpoint_host("http://127.0.0.1/") == "127.0.0.1"


async def test_call_and_batch_roundtrip():
    async with client(echo) as c:
        assert await c.call("eth_x", [1, "a"]) == [1, "a"]
        assert await c.batch([("m1", []), ("m2", [])]) == ["m1", "m2"]
        assert await c.batch([]) == []


async def test_ids_are_fresh_per_request():
    seen = []

    def handler(request):
        body = json.loads(request.content)
        seen.append(body["id"])
        return echo(request)

    async with client(handler) as c:
        await c.call("a")
        await c.call("b")
    assert len(set(seen)) == 2


@pytest.mark.parametrize(
    ("response", "error", "fragment"),
    [
        (httpx.Response(429, text="slow down"), RateLimited, "429"),
        (httpx.Response(502, text="bad gateway"), RpcTransportError, "502"),
        (httpx.Response(404, text="nope"), RpcTransportError, "404"),
        (httpx.Response(200, content=b"<html>"), MalformedResponse, "not JSON"),
        (httpx.Response(200, content=b"x" * 5000), MalformedResponse, "exceeds 2048"),
        (
            httpx.Response(200, content=b"x" * 5000, headers={"content-length": "5000"}),
            MalformedResponse,
            "5000 bytes",
        ),
    ],
)
async def test_http_faults_are_typed(response, error, fragment):
    async with client(lambda request: response, max_response_bytes=2048) as c:
        with pytest.raises(error, match=fragment) as info:
            await c.call("eth_blockNumber")
    text = str(info.value)
    assert "SECRETKEY" not in text and "pw" not in text
    assert text.startswith("rpc.example.com:8443: eth_blockNumber")


async def test_400_with_error_object_is_parsed():
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32005, "message": "rate limited"}}
    async with client(lambda request: httpx.Response(400, json=body)) as c:
        with pytest.raises(RateLimited):
            await c.call("eth_call")


async def test_transport_exception_is_typed():
    def handler(request):
        raise httpx.ConnectError("refused to https://rpc.example.com:8443/v2/SECRETKEY")

    async with client(handler) as c:
        with pytest.raises(RpcTransportError) as info:
            await c.call("eth_chainId")
    assert "SECRETKEY" not in str(info.value)


async def test_timeout_is_a_cancel_scope(autojump_clock):
    async def handler(request):
        await trio.sleep(60)
        return echo(request)

    async with client(handler, timeout_s=0.5) as c:
        start = trio.current_time()
        with pytest.raises(RpcTimeout, match=r"0\.5 s"):
            await c.call("eth_chainId")
        assert trio.current_time() - start == pytest.approx(0.5)
