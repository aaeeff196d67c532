"""Swap logs reach market intelligence with the chain task's own per-block requests, polling and
streaming alike; the intel reader classifies what they carry (real Anvil, the real chain task)."""

from __future__ import annotations

import dataclasses
import math

import pytest
import trio
from intel_helpers import send_router_triangle

from appliance.chain import open_rpc_pool
from appliance.chain.service import run_chain
from appliance.config import load_config
from appliance.events import SwapLogsSeen
from appliance.intel import Kind
from appliance.intel.task import IntelReader

pytestmark = pytest.mark.devnet


@pytest.mark.parametrize("path", ["polling", "streaming"])
async def test_a_triangle_arbitrage_travels_from_the_chain_task_to_the_classifier(devnet, path):
    dn = devnet
    cfg = load_config(dn.config_path, check_key=False)
    if path == "polling":  # the HTTP half of the devnet's http|ws pair only
        rpc_list = tuple(r.split("|")[0] for r in cfg.chain.rpc)
        cfg = dataclasses.replace(cfg, chain=dataclasses.replace(cfg.chain, rpc=rpc_list))
    competitor = dn.address_of("competitor")
    events_send, _events_recv = trio.open_memory_channel(math.inf)
    swaps_send, swaps_recv = trio.open_memory_channel(16)
    async with open_rpc_pool(cfg.chain) as rpc, trio.open_nursery() as nursery:
        await nursery.start(
            lambda task_status: run_chain(
                cfg, rpc, dn.pools, events_send, swaps_send=swaps_send, task_status=task_status
            )
        )
        await dn.swap("uniswap", "USDC", "WETH", 400_000 * 10**6, account="simulator")
        receipt = await send_router_triangle(dn)
        number = int(receipt["blockNumber"], 16)
        with trio.fail_after(60):
            while True:
                seen = await swaps_recv.receive()
                assert isinstance(seen, SwapLogsSeen)
                if seen.block == number:
                    break
        event, swaps = await IntelReader(rpc, dn.pools, ()).read_block(seen)
        nursery.cancel_scope.cancel()
    (arb,) = event.arbitrages
    assert arb.kind == str(Kind.ARBITRAGE) and arb.tx_hash == receipt["transactionHash"].lower()
    assert arb.searcher.lower() == competitor.lower() and len(arb.pools) == 3 and arb.profit_wei > 0
    # every swap of the block, for the journal, with its transaction's sender
    legs = [s for s in swaps.swaps if s.tx_hash == arb.tx_hash]
    assert [s.pool for s in legs] == list(arb.pools)
    assert {s.tx_sender.lower() for s in legs} == {competitor.lower()}
