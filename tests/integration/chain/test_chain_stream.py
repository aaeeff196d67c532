"""Streaming chain input against real Anvil (WebSocket on its HTTP port) through real proxies.

The WebSocket path runs through a loopback TCP proxy a test can cut or freeze; the HTTP path
through the fault proxy, which counts requests by method and can hold a method unanswered.
"""

from __future__ import annotations

import pytest
from chain_helpers import chain_stream, check_stream, reserves_of, until
from faultproxy import FaultProxy
from tcpproxy import TcpProxy

from appliance.config import ChainConfig
from appliance.events import BlockSeen, ReorgDetected, ReservesUpdated, RpcHealthChanged

pytestmark = pytest.mark.devnet


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def path_is(path: str):
    return lambda e: isinstance(e, RpcHealthChanged) and e.path == path


async def trade_and_mine(devnet, i: int) -> int:
    if i % 2 == 0:
        await devnet.swap("uniswap", "WETH", "USDC", 10**17, mine=False)
    else:
        await devnet.swap("sushiswap", "USDC", "WETH", 10**8, mine=False)
    return await devnet.mine()


async def test_streamed_blocks_apply_their_logs_without_a_request(devnet, nursery):
    """Blocks whose logs came before their head are applied from the subscription without an
    eth_getLogs (Anvil sends either first: the others take one request); every block's
    reserves match the chain. The base fee comes with the head."""
    http = FaultProxy(devnet.rpc)
    await nursery.start(http.serve)
    ws = devnet.rpc.replace("http://", "ws://")
    cfg = ChainConfig(chain_id=devnet.chain_id, rpc=(f"{http.url}|{ws}",), block_time_s=1.0)
    async with chain_stream(devnet, cfg, buffer=1000) as (_rpc, recv, events, first):
        await until(recv, events, path_is("streaming"))
        await until(recv, events, reserves_of(first))
        # Anvil sends a block's logs before or after its head, at random (and a loaded box
        # reorders more): mine until one block came without a request, at most 40
        mined = 0
        while mined < 8 or (http.methods["eth_getLogs"] >= mined and mined < 40):
            number = await trade_and_mine(devnet, mined)
            await until(recv, events, reserves_of(number))
            mined += 1
    assert check_stream(events, first, number) == await devnet.all_reserves()
    assert http.methods["eth_getLogs"] < mined  # at least one block came without one
    assert all(e.base_fee is not None for e in events if isinstance(e, BlockSeen))
    changed = [e for e in events if isinstance(e, ReservesUpdated) and not e.full]
    assert sum(len(e.reserves) for e in changed) >= 8  # the swaps' pools, from the stream


async def test_cut_websocket_falls_back_to_polling_and_returns(devnet, nursery):
    """The WebSocket path is cut mid-run: blocks keep coming by polling (none lost, none twice),
    the path is reported as polling, and streaming comes back when the path does."""
    tcp = TcpProxy(port_of(devnet.rpc))
    await nursery.start(tcp.serve)
    cfg = ChainConfig(
        chain_id=devnet.chain_id,
        rpc=(f"{devnet.rpc}|ws://127.0.0.1:{tcp.port}",),
        block_time_s=0.5,
    )
    async with chain_stream(devnet, cfg) as (rpc, recv, events, first):
        await until(recv, events, path_is("streaming"))
        i = 0
        for i in range(3):
            number = await trade_and_mine(devnet, i)
            await until(recv, events, reserves_of(number))
        tcp.cut()
        await until(recv, events, path_is("polling"))
        for i in range(3, 7):
            number = await trade_and_mine(devnet, i)
            await until(recv, events, reserves_of(number))
        assert rpc.path == "polling" and rpc.health()[0].stream == "down"
        tcp.restore()
        await until(recv, events, path_is("streaming"))
        for i in range(7, 10):
            number = await trade_and_mine(devnet, i)
            await until(recv, events, reserves_of(number))
    assert check_stream(events, first, number) == await devnet.all_reserves()
    paths = [e.path for e in events if isinstance(e, RpcHealthChanged)]
    assert "streaming" in paths and "polling" in paths[paths.index("streaming") :]
    assert tcp.connections >= 2  # it reconnected


async def test_silent_subscription_is_a_fault_and_polling_takes_over(devnet, nursery):
    """The WebSocket stays open but goes silent while the chain moves on: after 3 block times
    the endpoint's stream is down (polling delivered the blocks meanwhile); it reconnects."""
    tcp = TcpProxy(port_of(devnet.rpc))
    await nursery.start(tcp.serve)
    cfg = ChainConfig(
        chain_id=devnet.chain_id,
        rpc=(f"{devnet.rpc}|ws://127.0.0.1:{tcp.port}",),
        block_time_s=0.3,
        request_timeout_s=0.5,
    )
    async with chain_stream(devnet, cfg) as (_rpc, recv, events, first):
        await until(recv, events, path_is("streaming"))
        tcp.freeze()
        number = await trade_and_mine(devnet, 0)
        await until(recv, events, reserves_of(number))  # by polling (the stream is mute)
        await until(recv, events, path_is("polling"))  # the silence was noticed
        number = await trade_and_mine(devnet, 1)
        await until(recv, events, reserves_of(number))
        tcp.restore()
        await until(recv, events, path_is("streaming"))
        number = await trade_and_mine(devnet, 2)
        await until(recv, events, reserves_of(number))
    assert check_stream(events, first, number) == await devnet.all_reserves()


async def test_two_streams_dedupe_and_reorgs_are_reported_as_when_polling(devnet, nursery):
    """Two endpoints stream the same chain (one WebSocket-only: its requests go over the
    WebSocket too): each block is seen once; an Anvil reorg gives the same ReorgDetected as the
    polling path, then the replacement blocks in order."""
    a, b = TcpProxy(port_of(devnet.rpc)), TcpProxy(port_of(devnet.rpc))
    await nursery.start(a.serve)
    await nursery.start(b.serve)
    cfg = ChainConfig(
        chain_id=devnet.chain_id,
        rpc=(f"ws://127.0.0.1:{a.port}", f"{devnet.rpc}|ws://127.0.0.1:{b.port}"),
        block_time_s=1.0,
    )
    async with chain_stream(devnet, cfg) as (_rpc, recv, events, first):
        await until(
            recv,
            events,
            lambda e: (
                isinstance(e, RpcHealthChanged) and all(x.stream == "live" for x in e.endpoints)
            ),
        )
        for i in range(4):
            number = await trade_and_mine(devnet, i)
            await until(recv, events, reserves_of(number))
        assert check_stream(events, first, number) == await devnet.all_reserves()
        await devnet.call("anvil_reorg", [2, []])
        reorg = await until(recv, events, lambda e: isinstance(e, ReorgDetected))
        assert reorg.common_ancestor == number - 2 and reorg.old_head == number
        full = await until(recv, events, lambda e: isinstance(e, ReservesUpdated) and e.full)
        assert full.block == reorg.common_ancestor + 1  # the first replacement block, as polling
        number = await trade_and_mine(devnet, 5)
        await until(recv, events, reserves_of(number))
    after = events[events.index(reorg) :]
    seen = [e.number for e in after if isinstance(e, BlockSeen)]
    assert seen == list(range(number - 2, number + 1))
    assert a.connections >= 2  # the ws-only endpoint: a request connection and a stream
