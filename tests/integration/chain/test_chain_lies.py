"""Data-level lies from an endpoint (#23): the transport is fine, the content is not.

A real lying JSON-RPC server (``lyingnode.LyingNode``) on loopback proxies to real Anvil; the
chain subsystem (``run_chain``, the production path) must mark it, fail over to the honest
secondary, see every block exactly once, and raise ``FaultChanged`` for the lie.
"""

from __future__ import annotations

import pytest
from chain_helpers import chain_stream, check_stream, reserves_of, until
from lyingnode import LyingNode

from appliance.config import ChainConfig
from appliance.events import BlockSeen, FaultChanged, RpcHealthChanged

pytestmark = pytest.mark.devnet


def fault_of(host: str, active: bool):
    return lambda e: isinstance(e, FaultChanged) and e.name == f"rpc:{host}" and e.active is active


def cfg_for(devnet, *urls: str, block_time_s: float = 0.5) -> ChainConfig:
    return ChainConfig(
        chain_id=devnet.chain_id, rpc=urls, block_time_s=block_time_s, stale_head_s=600
    )


async def mine_some(devnet, recv, events, n: int) -> int:
    number = 0
    for i in range(n):
        await devnet.swap("uniswap", "WETH", "USDC", 10**16 * (i + 1), mine=False)
        number = await devnet.mine()
        await until(recv, events, reserves_of(number))
    return number


async def test_stale_blocks_alone_are_a_fault_not_traded_on(devnet, nursery):
    """Every block an hour old while the chain advances: the only endpoint is unhealthy with the
    reason (so nothing trades on it) and FaultChanged is raised; BlockSeen carries the block
    timestamp; the truth clears it."""
    liar = LyingNode(devnet.rpc)
    await nursery.start(liar.serve)
    host = f"127.0.0.1:{liar.port}"
    cfg = cfg_for(devnet, liar.url)
    async with chain_stream(devnet, cfg) as (_rpc, recv, events, first):
        await until(recv, events, reserves_of(first))
        liar.lie = "stale"
        mark = len(events)
        number = await mine_some(devnet, recv, events, 2)
        fault = await until(recv, events, fault_of(host, True), since=mark)
        assert fault.detail.startswith("stale:")
        health = await until(
            recv,
            events,
            lambda e: isinstance(e, RpcHealthChanged) and not e.endpoints[0].healthy,
            since=mark,
        )
        assert health.endpoints[0].reason.startswith("stale:")
        stale = [e for e in events if isinstance(e, BlockSeen) and e.number > first]
        real = await devnet.call("eth_getBlockByNumber", [hex(stale[0].number), False])
        assert stale[0].timestamp == int(real["timestamp"], 16) - 3600  # BlockSeen has it
        liar.lie = None
        mark = len(events)
        number = await mine_some(devnet, recv, events, 1)
        await until(recv, events, fault_of(host, False), since=mark)
    assert check_stream(events, first, number) == await devnet.all_reserves()


async def test_head_from_the_future_fails_over_and_counts_each_block_once(devnet, nursery):
    """A primary claims a head 1,000 blocks ahead that does not exist: it is marked unhealthy
    (its head cannot be fetched), the secondary carries every block exactly once, in order —
    nothing is re-emitted when the liar recovers (no fill counted twice)."""
    liar = LyingNode(devnet.rpc)
    await nursery.start(liar.serve)
    host = f"127.0.0.1:{liar.port}"
    cfg = cfg_for(devnet, liar.url, devnet.rpc)
    async with chain_stream(devnet, cfg) as (rpc, recv, events, first):
        await until(recv, events, reserves_of(first))
        liar.lie = "future"
        mark = len(events)
        number = await mine_some(devnet, recv, events, 4)
        fault = await until(recv, events, fault_of(host, True), since=mark)
        assert "cannot be fetched" in fault.detail or "do not exist" in fault.detail
        assert not rpc.health()[0].healthy and rpc.health()[1].healthy
        assert not rpc.health()[1].lagging  # the lie does not make the honest one look behind
        assert liar.lies_told > 0
        liar.lie = None
        mark = len(events)
        number = await mine_some(devnet, recv, events, 2)
        await until(recv, events, fault_of(host, False), since=mark)
    assert check_stream(events, first, number) == await devnet.all_reserves()


async def test_head_going_backwards_alone_is_a_fault(devnet, nursery):
    """The only endpoint's head drops 50 blocks without a reorg's parent-hash evidence: logged,
    the endpoint marked, FaultChanged — not a quiet NORMAL; no block is emitted twice."""
    liar = LyingNode(devnet.rpc)
    await nursery.start(liar.serve)
    host = f"127.0.0.1:{liar.port}"
    await devnet.mine(60)
    cfg = cfg_for(devnet, liar.url)
    async with chain_stream(devnet, cfg) as (rpc, recv, events, first):
        await until(recv, events, reserves_of(first))
        liar.lie = "backwards"
        fault = await until(recv, events, fault_of(host, True))
        assert "went back" in fault.detail or "cannot" in fault.detail
        assert not rpc.health()[0].healthy
        liar.lie = None
        mark = len(events)
        number = await mine_some(devnet, recv, events, 2)
        await until(recv, events, fault_of(host, False), since=mark)
    assert check_stream(events, first, number) == await devnet.all_reserves()


async def test_backwards_primary_fails_over_to_the_secondary(devnet, nursery):
    liar = LyingNode(devnet.rpc)
    await nursery.start(liar.serve)
    host = f"127.0.0.1:{liar.port}"
    await devnet.mine(60)
    cfg = cfg_for(devnet, liar.url, devnet.rpc)
    async with chain_stream(devnet, cfg) as (rpc, recv, events, first):
        await until(recv, events, reserves_of(first))
        liar.lie = "backwards"
        await until(recv, events, fault_of(host, True))
        number = await mine_some(devnet, recv, events, 3)  # carried by the secondary
        assert rpc.latest_source is rpc.endpoints[1]
    assert check_stream(events, first, number) == await devnet.all_reserves()
