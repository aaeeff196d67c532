"""On the real devnet: swaps the market really made, classified against on-chain truth.

A competitor runs a triangular arbitrage through the real router's multi-hop path inside one
DEX (WETH -> USDC -> DAI -> WETH) after a dislocation; its profit must equal its WETH balance
change to the wei. A sandwich (front-run, victim, back-run ordered by tips in one block) must be
a sandwich with the victim a plain swap, and the dislocating trade a plain swap.
"""

from __future__ import annotations

import pytest
from intel_helpers import block_intel

from appliance.devnet._abi import calldata
from appliance.intel import Kind

pytestmark = pytest.mark.devnet

ETH = 10**18
_DEADLINE = 2**63


async def test_router_triangle_arbitrage_profit_equals_the_balance_change(devnet):
    dn = devnet
    weth, usdc, dai = (dn.token(s).address for s in ("WETH", "USDC", "DAI"))
    competitor = dn.address_of("competitor")
    await dn.swap("uniswap", "USDC", "WETH", 400_000 * 10**6, account="simulator")  # WETH dear
    before = await dn.balance(weth, competitor)
    amount_in = 5 * ETH
    path = [weth, usdc, dai, weth]
    expected_out = (await dn.amounts_out("uniswap", amount_in, ["WETH", "USDC", "DAI", "WETH"]))[-1]
    router = dn.dex("uniswap").router
    receipt = await dn.send_tx(
        "competitor",
        router,
        calldata(
            "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
            amount_in,
            0,
            path,
            competitor,
            _DEADLINE,
        ),
        gas=600_000,
    )
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
