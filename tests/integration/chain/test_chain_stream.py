"""Streaming chain input against real Anvil (WebSocket on its HTTP port) through real proxies.

The WebSocket path runs through a loopback TCP proxy a test can cut or freeze; the HTTP path
through the fault proxy, which counts requests by method and can hold a method unanswered.
"""

from __future__ import annotations

from functools import partial

import pytest
import trio
from chain_helpers import GUARD_S, chain_stream, check_stream, reserves_of, until
from faultproxy import FaultProxy
from tcpproxy import TcpProxy

from appliance.chain import open_rpc_pool
from appliance.chain.reserves import SWAP_TOPIC
from appliance.chain.service import run_chain
from appliance.config import ChainConfig
from appliance.events import (
    BlockSeen,
    ReorgDetected,
    ReservesUpdated,
    RpcHealthChanged,
    SwapLogsSeen,
)

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


async def test_streamed_block_brings_its_swap_logs_without_a_request(devnet, nursery):
    """Issue 17's streamed path: the logs subscription carries the Swap topic too, so a block
    whose logs came before its head gives SwapLogsSeen (the chain's Swap logs of that block,
    exactly) with no eth_getLogs at all — neither for its reserves nor for its swaps."""
    http = FaultProxy(devnet.rpc)
    await nursery.start(http.serve)
    ws = devnet.rpc.replace("http://", "ws://")
    cfg = ChainConfig(chain_id=devnet.chain_id, rpc=(f"{http.url}|{ws}",), block_time_s=1.0)
    send, recv = trio.open_memory_channel(1000)
    swaps_send, swaps_recv = trio.open_memory_channel(1000)
    events: list = []
    swaps: list = []
    async with open_rpc_pool(cfg) as rpc, trio.open_nursery() as inner:
        first = await devnet.block_number()
        await inner.start(partial(run_chain, cfg, rpc, devnet.pools, send, swaps_send=swaps_send))
        await until(recv, events, path_is("streaming"))
        await until(recv, events, reserves_of(first))
        quiet: int | None = None  # a block that came with no eth_getLogs
        for i in range(40):  # Anvil orders a block's logs and head at random: until one came first
            before = http.methods["eth_getLogs"]
            number = await trade_and_mine(devnet, i)
            await until(recv, events, reserves_of(number))
            got = await until(
                swaps_recv, swaps, lambda e, n=number: isinstance(e, SwapLogsSeen) and e.block >= n
            )
            assert got.block == number  # every block here has a swap
            if http.methods["eth_getLogs"] == before:
                quiet = number
                break
        inner.cancel_scope.cancel()
    assert quiet is not None, "no block of 40 came with its logs before its head"
    seen = next(e for e in swaps if e.block == quiet)
    block_hash = next(e.hash for e in events if isinstance(e, BlockSeen) and e.number == quiet)
    truth = await devnet.call(
        "eth_getLogs",
        [
            {
                "blockHash": block_hash,
                "topics": [SWAP_TOPIC],
                "address": [p.address for p in devnet.pools],
            }
        ],
    )
    assert truth, "the block has a swap"
    assert [(x.tx_hash, x.log_index, "0x" + x.data.hex()) for x in seen.logs] == [
        (t["transactionHash"], int(t["logIndex"], 16), t["data"]) for t in truth
    ]
    assert check_stream(events, first, quiet) == await devnet.all_reserves()


async def test_a_streamed_head_is_not_held_behind_a_hanging_safety_poll(devnet, nursery):
    """While streaming, the follower polls once per quiet block time as a safety net. A head
    streamed while that poll hangs (a node answers HTTP slowly while it produces a block; here
    the proxy never answers it) is taken at once: the poll is given up, not waited for."""
    http = FaultProxy(devnet.rpc)
    await nursery.start(http.serve)
    ws = devnet.rpc.replace("http://", "ws://")
    cfg = ChainConfig(
        chain_id=devnet.chain_id,
        rpc=(f"{http.url}|{ws}",),
        block_time_s=0.3,
        request_timeout_s=60,  # longer than the guard: waiting for the poll would fail the test
    )
    send, recv = trio.open_memory_channel(1000)
    events: list = []
    async with open_rpc_pool(cfg) as rpc, trio.open_nursery() as inner:
        first = await devnet.block_number()
        await inner.start(run_chain, cfg, rpc, devnet.pools, send)
        await until(recv, events, path_is("streaming"))
        await until(recv, events, reserves_of(first))
        http.hold.add("eth_getBlockByNumber")  # every poll of the head hangs from now on
        for i in range(3):
            held = http.methods["eth_getBlockByNumber"]
            with trio.fail_after(GUARD_S):
                while http.methods["eth_getBlockByNumber"] == held:  # a poll is in flight
                    await trio.sleep(0.05)
            number = await trade_and_mine(devnet, i)
            await until(recv, events, reserves_of(number))
        inner.cancel_scope.cancel()
    assert check_stream(events, first, number) == await devnet.all_reserves()


async def test_heads_the_stream_missed_are_backfilled_over_http(devnet, nursery):
    """The subscription misses two heads (the proxy leaves their ``newHeads`` notifications
    out): the next streamed head skips two numbers, and the two blocks are fetched over HTTP in
    one batch before it — every block once, in order, with its reserves. Every poll of the head
    hangs meanwhile (held by the HTTP proxy), so the gap can only be filled from the streamed
    head."""
    http = FaultProxy(devnet.rpc)
    await nursery.start(http.serve)
    tcp = TcpProxy(port_of(devnet.rpc))
    await nursery.start(tcp.serve)
    cfg = ChainConfig(
        chain_id=devnet.chain_id,
        rpc=(f"{http.url}|ws://127.0.0.1:{tcp.port}",),
        block_time_s=2.0,
        request_timeout_s=60,  # a held poll does not fail over within the test
    )
    async with chain_stream(devnet, cfg) as (rpc, recv, events, first):
        await until(recv, events, path_is("streaming"))
        number = await trade_and_mine(devnet, 0)
        await until(recv, events, reserves_of(number))
        http.hold.add("eth_getBlockByNumber")  # single requests: the polls of "latest"
        tcp.drop_heads = {number + 1, number + 2}
        since = len(http.calls)
        last = number
        for i in (1, 2, 3):
            last = await trade_and_mine(devnet, i)
        await until(recv, events, reserves_of(last))
        assert rpc.path == "streaming"
    assert tcp.dropped == [number + 1, number + 2]
    asked = [p for m, p in http.calls[since:] if m == "eth_getBlockByNumber" and p[0] != "latest"]
    assert [int(p[0], 16) for p in asked] == [number + 1, number + 2]
    assert check_stream(events, first, last) == await devnet.all_reserves()
