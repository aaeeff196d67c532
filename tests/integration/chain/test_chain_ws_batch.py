"""A batch over a WebSocket is one JSON-RPC batch message with one answer (the order path's
head + simulation), equal item for item to the same batch over HTTP — values and error objects
in request order. Real Anvil (WebSocket on its HTTP port)."""

from __future__ import annotations

import pytest

from appliance.chain.errors import RpcError
from appliance.chain.rpc import RpcClient
from appliance.chain.ws import WsClient
from appliance.devnet import calldata

pytestmark = pytest.mark.devnet

# WETH9.transfer(0x…01, 2**255): more than anyone holds, so the call reverts (an error item)
TRANSFER_TOO_MUCH = calldata("transfer(address,uint256)", "0x" + "00" * 19 + "01", 2**255)


async def test_a_websocket_batch_is_one_message_and_answers_as_http(devnet):
    requests = [
        ("eth_getBlockByNumber", ["latest", False]),
        ("eth_getBalance", [devnet.address_of("appliance"), "latest"]),
        ("eth_call", [{"to": devnet.token("WETH").address, "data": TRANSFER_TOO_MUCH}, "latest"]),
        ("eth_chainId", []),
    ]
    async with (
        WsClient(devnet.rpc.replace("http://", "ws://")) as ws,
        RpcClient(devnet.rpc) as http,
    ):
        await ws.call("eth_chainId")  # connected
        conn = ws._conn
        assert conn is not None
        sent: list[str] = []
        send_message = conn.ws.send_message

        async def counted(message):
            sent.append(message)
            await send_message(message)

        conn.ws.send_message = counted
        over_ws = await ws.batch(requests)
        over_http = await http.batch(requests)
        assert len(sent) == 1 and sent[0].startswith("[")  # one batch message
        assert over_ws[0] == over_http[0] and over_ws[1] == over_http[1]
        assert over_ws[3] == over_http[3] == hex(devnet.chain_id)
        assert isinstance(over_ws[2], RpcError) and type(over_ws[2]) is type(over_http[2])
        assert over_ws[2].code == over_http[2].code  # the revert, as an error item in its place
        assert await ws.batch([]) == []
        assert await ws.call("eth_chainId") == hex(devnet.chain_id)  # the connection goes on
