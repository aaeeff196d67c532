"""The order path's one request (head + simulation) over the endpoint's warm WebSocket while its
subscription is live, over HTTP otherwise — and over HTTP when the WebSocket breaks, with the
same answer. Real Anvil; the WebSocket through a TCP proxy the test cuts, the HTTP path through
the fault proxy, which counts requests by method."""

from __future__ import annotations

import pytest
import trio
from faultproxy import FaultProxy
from tcpproxy import TcpProxy

from appliance.chain import open_rpc_pool
from appliance.config import ChainConfig
from appliance.devnet import calldata

pytestmark = pytest.mark.devnet


async def test_the_order_request_rides_the_websocket_while_streaming_else_http(devnet, nursery):
    http = FaultProxy(devnet.rpc)
    await nursery.start(http.serve)
    ws_proxy = TcpProxy(int(devnet.rpc.rsplit(":", 1)[1]))
    await nursery.start(ws_proxy.serve)
    ws = f"ws://127.0.0.1:{ws_proxy.port}"
    cfg = ChainConfig(chain_id=devnet.chain_id, rpc=(f"{http.url}|{ws}",), block_time_s=1.0)
    weth = devnet.token("WETH").address
    tx = {"to": weth, "data": calldata("totalSupply()")}
    truth = await devnet.call("eth_call", [tx, "latest"])
    async with open_rpc_pool(cfg) as rpc:
        (ep,) = rpc.endpoints
        assert ep.order_client is not None
        await rpc.warm_order_path()
        opened = ws_proxy.connections
        assert opened == 1  # the order connection, opened before any order

        async def simulated() -> tuple[int, str]:
            head, out = await rpc.simulate_at_head(tx, "pending")
            return head.number, "0x" + out.hex()

        number = await devnet.block_number()
        rpc.set_stream(ep, "live")  # what run_stream says once subscribed
        before = http.methods["eth_call"]
        ws_sent = ep.order_client.requests_sent
        assert await simulated() == (number, truth)
        assert http.methods["eth_call"] == before  # not over HTTP
        assert ep.order_client.requests_sent == ws_sent + 2  # head and call, one connection
        assert ws_proxy.connections == opened  # the warm one

        rpc.set_stream(ep, "down")  # the subscription is down: polling, and HTTP for orders
        assert await simulated() == (number, truth)
        assert http.methods["eth_call"] == before + 1

        rpc.set_stream(ep, "live")
        ws_proxy.cut()  # the WebSocket breaks (and stays refused): the order goes over HTTP
        await trio.sleep(0.05)
        assert await simulated() == (number, truth)
        assert http.methods["eth_call"] == before + 2
