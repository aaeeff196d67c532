"""A block with swaps costs the intel reader one request on a node that serves
``eth_getBlockReceipts`` (sender, target and gas of every transaction), and the same
classification through the body + receipts fallback on one that answers -32601 — which is then
not asked again. Real Anvil behind a recording proxy, the production RPC pool and reader."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from intel_helpers import send_router_triangle, swap_logs

from appliance.chain import open_rpc_pool
from appliance.config import load_config
from appliance.intel import Kind
from appliance.intel.task import IntelReader

sys.path.insert(0, str(Path(__file__).parents[1] / "execution"))
from exec_rpc_proxy import RpcProxy

pytestmark = pytest.mark.devnet


async def _arbitrage_block(dn) -> dict:
    await dn.swap("uniswap", "USDC", "WETH", 400_000 * 10**6, account="simulator")
    return await send_router_triangle(dn)


async def _read(dn, proxy, number, reader=None):
    cfg = load_config(dn.config_path, check_key=False)
    cfg = dataclasses.replace(cfg, chain=dataclasses.replace(cfg.chain, rpc=(proxy.url,)))
    async with open_rpc_pool(cfg.chain) as rpc:
        seen = await swap_logs(rpc, dn, number)
        asked = proxy.methods.copy()
        reader = reader or IntelReader(rpc, dn.pools, ())
        reader.rpc = rpc
        event, swaps = await reader.read_block(seen)
        return event, swaps, proxy.methods - asked, reader


def _check(event, swaps, receipt, competitor):
    (arb,) = event.arbitrages
    assert arb.kind == str(Kind.ARBITRAGE) and arb.profit_wei > 0
    assert arb.searcher.lower() == competitor.lower()
    assert arb.gas_wei == int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert {s.tx_sender.lower() for s in swaps.swaps if s.tx_hash == arb.tx_hash} == {
        competitor.lower()
    }


async def test_a_block_with_an_arbitrage_costs_one_request(devnet):
    dn = devnet
    receipt = await _arbitrage_block(dn)
    with RpcProxy(dn.rpc).running() as proxy:
        event, swaps, asked, _ = await _read(dn, proxy, int(receipt["blockNumber"], 16))
    assert dict(asked) == {"eth_getBlockReceipts": 1}
    _check(event, swaps, receipt, dn.address_of("competitor"))


async def test_without_block_receipts_the_body_and_receipts_give_the_same_answer(devnet):
    dn = devnet
    receipt = await _arbitrage_block(dn)
    number = int(receipt["blockNumber"], 16)
    with RpcProxy(dn.rpc).running() as proxy:
        proxy.refuse("eth_getBlockReceipts")
        event, swaps, asked, reader = await _read(dn, proxy, number)
        assert asked["eth_getBlockReceipts"] == 1 and not reader.block_receipts_served
        assert asked["eth_getBlockByNumber"] == 1 and asked["eth_getTransactionReceipt"] == 1
        _check(event, swaps, receipt, dn.address_of("competitor"))
        again, _, asked_again, _ = await _read(dn, proxy, number, reader)
    assert "eth_getBlockReceipts" not in asked_again  # -32601 is remembered
    assert again.arbitrages == event.arbitrages
