"""Real faults from a real proxy in front of real Anvil: typed errors, failover, no block lost."""

from __future__ import annotations

import pytest
import trio
from chain_helpers import check_stream, pool_of
from faultproxy import FaultProxy

from appliance.chain import (
    MalformedResponse,
    RpcClient,
    RpcTimeout,
    RpcTransportError,
)
from appliance.chain.service import run_chain
from appliance.config import ChainConfig
from appliance.events import ReservesUpdated, RpcHealthChanged

pytestmark = pytest.mark.devnet


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("drop", RpcTransportError),
        ("delay", RpcTimeout),
        ("5xx", RpcTransportError),
        ("truncated", RpcTransportError),
        ("wrong_id", MalformedResponse),
    ],
)
async def test_each_fault_is_a_typed_error(devnet, nursery, kind, error):
    proxy = FaultProxy(devnet.rpc, kinds=(kind,), delay_s=1.0)
    await nursery.start(proxy.serve)
    proxy.rate = 1.0
    async with RpcClient(proxy.url, timeout_s=0.3) as client:
        with pytest.raises(error) as info:
            await client.call("eth_blockNumber")
        assert info.value.host == f"127.0.0.1:{proxy.port}"
        proxy.rate = 0.0
        assert int(await client.call("eth_blockNumber"), 16) == await devnet.block_number()
    assert proxy.injected[kind] == 1


async def test_stale_head_marks_the_endpoint_lagging(devnet, nursery):
    stale = FaultProxy(devnet.rpc)
    await nursery.start(stale.serve)
    await devnet.mine(10)
    head = await devnet.block_number()
    stale.stale_head = head - 5
    async with pool_of(stale.url, devnet.rpc, max_lag_blocks=3, hedge=False) as rpc:
        assert (
            await rpc.get_block("latest")
        ).number == head - 5  # asked first, believed until probed
        await rpc.probe_heads()
        health = rpc.health()
        assert health[0].lagging and not health[0].healthy and health[0].head == head - 5
        assert not health[1].lagging
        assert (await rpc.get_block("latest")).number == head  # the lagging one is not asked


async def collect_until(recv, last: int, events: list) -> None:
    """Receive until the ReservesUpdated of block ``last``."""
    async for event in recv:
        events.append(event)
        if isinstance(event, ReservesUpdated) and event.block >= last:
            return


async def test_primary_down_every_block_via_secondary_within_a_block_time(devnet, nursery):
    """Primary fails 100 % (all kinds): each block's BlockSeen+ReservesUpdated arrives within one
    block time (2 s) of being mined, through the secondary."""
    primary = FaultProxy(devnet.rpc, seed=3, delay_s=5.0)
    secondary = FaultProxy(devnet.rpc, seed=4)
    await nursery.start(primary.serve)
    await nursery.start(secondary.serve)
    primary.rate = 1.0
    cfg = ChainConfig(
        chain_id=devnet.chain_id,
        rpc=(primary.url, secondary.url),
        block_time_s=2.0,
        request_timeout_s=0.25,
    )
    send, recv = trio.open_memory_channel(1000)
    events: list = []
    async with (
        pool_of(primary.url, secondary.url, timeout_s=0.25, hedge=True) as rpc,
        trio.open_nursery() as inner,
    ):
        first = await devnet.block_number()
        await inner.start(run_chain, cfg, rpc, devnet.pools, send)
        await collect_until(recv, first, events)
        for i in range(12):
            if i % 2 == 0:
                await devnet.swap("uniswap", "WETH", "USDC", 10**17, mine=False)
            number = await devnet.mine()
            with trio.fail_after(cfg.block_time_s):  # the must-show: within one block time
                await collect_until(recv, number, events)
        health = rpc.health()
        inner.cancel_scope.cancel()
    state = check_stream(events, first, number)
    assert state == await devnet.all_reserves()
    assert primary.injected.total() >= 1 and secondary.injected.total() == 0
    assert health[0].breaker == "open" and health[1].healthy
    assert any(isinstance(e, RpcHealthChanged) and not e.endpoints[0].healthy for e in events)


@pytest.mark.slow
async def test_thirty_percent_faults_on_both_for_1000_blocks(devnet, nursery):
    proxies = [FaultProxy(devnet.rpc, seed=s, delay_s=0.4) for s in (7, 8)]
    for proxy in proxies:
        await nursery.start(proxy.serve)
        proxy.rate = 0.3
    urls = tuple(p.url for p in proxies)
    cfg = ChainConfig(
        chain_id=devnet.chain_id,
        rpc=urls,
        block_time_s=0.2,
        request_timeout_s=0.2,
        breaker_reset_s=1.0,
        full_refresh_blocks=50,
    )
    send, recv = trio.open_memory_channel(10_000)
    events: list = []
    async with (
        pool_of(*urls, timeout_s=0.2, breaker_reset_s=1.0) as rpc,
        trio.open_nursery() as inner,
    ):
        first = await devnet.block_number()
        await inner.start(run_chain, cfg, rpc, devnet.pools, send)
        await collect_until(recv, first, events)
        mined = 0
        step = 0
        while mined < 1000:
            step += 1
            await devnet.swap("sushiswap", "USDC", "WETH", 10**9 * step, mine=False)
            await devnet.swap("uniswap", "WETH", "DAI", 10**16, mine=False)
            n = 1 if step % 3 else 20  # single blocks and bursts (gap filling)
            last = await devnet.mine(n)
            mined += n
            await collect_until(recv, last, events)
        inner.cancel_scope.cancel()
    state = check_stream(events, first, last)
    assert state == await devnet.all_reserves()
    injected = sum(p.injected.total() for p in proxies)
    requests = sum(p.requests for p in proxies)
    print(f"\n1000 blocks at 30 % faults: {requests} requests, {injected} faults injected")
    assert injected > 100
