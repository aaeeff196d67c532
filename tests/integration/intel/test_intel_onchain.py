"""On the real devnet: swaps the market really made, classified against on-chain truth.

A competitor runs a triangular arbitrage through the real router's multi-hop path inside one
DEX (WETH -> USDC -> DAI -> WETH) after a dislocation; its profit must equal its WETH balance
change to the wei. A sandwich (front-run, victim, back-run ordered by tips in one block) must be
a sandwich with the victim a plain swap, and the dislocating trade a plain swap.
"""

from __future__ import annotations

import pytest
from intel_helpers import ETH, TRIANGLE, block_intel, intel_event, send_router_triangle

from appliance.intel import Kind

pytestmark = pytest.mark.devnet


async def test_router_triangle_arbitrage_profit_equals_the_balance_change(devnet):
    dn = devnet
    weth = dn.token("WETH").address
    competitor = dn.address_of("competitor")
    await dn.swap("uniswap", "USDC", "WETH", 400_000 * 10**6, account="simulator")  # WETH dear
    before = await dn.balance(weth, competitor)
    amount_in = 5 * ETH
    expected_out = (await dn.amounts_out("uniswap", amount_in, list(TRIANGLE)))[-1]
    router = dn.dex("uniswap").router
    receipt = await send_router_triangle(dn, "competitor", amount_in)
    after = await dn.balance(weth, competitor)
    intel = await block_intel(dn, int(receipt["blockNumber"], 16))
    (arb,) = intel.arbitrages
    assert arb.kind is Kind.ARBITRAGE
    assert arb.start_token.lower() == weth.lower()
    assert arb.profit_wei == after - before == expected_out - amount_in > 0
    assert arb.searcher.lower() == competitor.lower() and arb.contract.lower() == router.lower()
    assert arb.gas_wei == int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert [p.lower() for p in arb.pools] == [
        dn.pool("uniswap", a, b).address.lower()
        for a, b in (("WETH", "USDC"), ("USDC", "DAI"), ("DAI", "WETH"))
    ]
    # the same transaction as ours, when it is sent from our account
    mine = await block_intel(dn, int(receipt["blockNumber"], 16), ours={competitor})
    assert [a.kind for a in mine.arbitrages] == [Kind.OURS]


async def test_sandwich_and_its_victim_in_one_block(devnet):
    dn = devnet
    await dn.swap("uniswap", "USDC", "WETH", 1, account="competitor")  # approvals mined first
    await dn.swap("uniswap", "USDC", "WETH", 1, account="simulator")
    front = await dn.swap(
        "uniswap", "USDC", "WETH", 50_000 * 10**6, account="competitor", mine=False, tip_gwei=50
    )
    victim = await dn.swap(
        "uniswap", "USDC", "WETH", 200_000 * 10**6, account="simulator", mine=False, tip_gwei=10
    )
    weth_bought = (await dn.amounts_out("uniswap", 50_000 * 10**6, ["USDC", "WETH"]))[-1]
    back = await dn.swap(
        "uniswap", "WETH", "USDC", weth_bought, account="competitor", mine=False, tip_gwei=1
    )
    number = await dn.mine()
    block = await dn.call("eth_getBlockByNumber", [hex(number), False])
    assert [h.lower() for h in block["transactions"]] == [
        front.lower(),
        victim.lower(),
        back.lower(),
    ]
    intel = await block_intel(dn, number)
    (s,) = intel.sandwiches
    assert (s.front_tx, s.back_tx, s.victim_txs) == (front.lower(), back.lower(), (victim.lower(),))
    assert s.token.lower() == dn.token("USDC").address.lower() and s.profit_wei > 0
    assert intel.arbitrages == ()
    assert intel.kind_of(victim.lower()) is Kind.SWAP


async def test_the_reader_classifies_a_block_once_and_fills_in_the_receipts_gas(
    devnet, monkeypatch
):
    from appliance.intel import task

    dn = devnet
    await dn.swap("uniswap", "USDC", "WETH", 400_000 * 10**6, account="simulator")
    receipt = await send_router_triangle(dn)
    calls = []
    real = task.classify_block

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(task, "classify_block", counted)
    event = await intel_event(dn, int(receipt["blockNumber"], 16))
    assert len(calls) == 1  # with the senders; the receipts only fill in the gas
    (arb,) = event.arbitrages
    assert arb.tx_hash == receipt["transactionHash"].lower()
    assert arb.gas_wei == int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16) > 0
