"""The devnet's rival searchers, judged by on-chain truth: each one's arbitrage or sandwich is
classified as such, searcher and contract named, with the exact profit its balance shows."""

from __future__ import annotations

import pytest
from intel_helpers import block_intel, intel_event

from appliance.devnet.searchers import open_searchers

pytestmark = pytest.mark.devnet


async def _base_fee(dn) -> int:
    head = await dn.call("eth_getBlockByNumber", ["latest", False])
    return int(head["baseFeePerGas"], 16)


async def test_contract_searcher_takes_a_cross_dex_dislocation(devnet):
    dn = devnet
    rivals = await open_searchers(dn)
    await dn.swap("uniswap", "USDC", "WETH", 400_000 * 10**6, account="simulator")
    weth = dn.weth
    before = await dn.balance(weth, rivals.contract)
    tx = await rivals.act_contract(await dn.all_reserves(), await _base_fee(dn))
    assert tx is not None
    number = await dn.mine()
    receipt = await dn.call("eth_getTransactionReceipt", [tx])
    assert int(receipt["status"], 16) == 1
    after = await dn.balance(weth, rivals.contract)
    (arb,) = (await block_intel(dn, number)).arbitrages
    assert arb.tx_hash == tx.lower()
    assert arb.searcher.lower() == rivals.addresses["contract"].lower()
    assert arb.contract.lower() == rivals.contract.lower()
    assert arb.start_token.lower() == weth.lower()
    assert arb.profit_wei == after - before > 0
    dexes = {p.address.lower(): p.dex for p in dn.pools}
    assert len(arb.pools) == 2 and len({dexes[p.lower()] for p in arb.pools}) == 2


async def test_router_searcher_runs_a_triangle_inside_one_dex(devnet):
    dn = devnet
    rivals = await open_searchers(dn)
    await dn.swap("uniswap", "USDC", "WETH", 400_000 * 10**6, account="simulator")
    me = rivals.addresses["router"]
    before = await dn.balance(dn.weth, me)
    tx = await rivals.act_router(await dn.all_reserves(), await _base_fee(dn))
    assert tx is not None
    number = await dn.mine()
    receipt = await dn.call("eth_getTransactionReceipt", [tx])
    assert int(receipt["status"], 16) == 1
    after = await dn.balance(dn.weth, me)
    (arb,) = (await block_intel(dn, number)).arbitrages
    assert arb.searcher.lower() == me.lower()
    dexes = {p.address.lower(): p.dex for p in dn.pools}
    assert len(arb.pools) == 3 and len({dexes[p.lower()] for p in arb.pools}) == 1
    assert arb.profit_wei == after - before > 0


async def test_sandwicher_wraps_a_pending_swap(devnet):
    dn = devnet
    rivals = await open_searchers(dn)
    await dn.swap("uniswap", "USDC", "WETH", 1, account="simulator")  # its approval, mined
    victim = await dn.swap(
        "uniswap", "USDC", "WETH", 300_000 * 10**6, account="simulator", mine=False, tip_gwei=5
    )
    me = rivals.addresses["sandwicher"]
    usdc = dn.token("USDC").address
    before = await dn.balance(usdc, me)
    legs = await rivals.act_sandwicher(await dn.all_reserves())
    assert len(legs) == 2
    number = await dn.mine()
    after = await dn.balance(usdc, me)
    intel = await block_intel(dn, number)
    (s,) = intel.sandwiches
    assert (s.front_tx, s.back_tx, s.victim_txs) == (
        legs[0].lower(),
        legs[1].lower(),
        (victim.lower(),),
    )
    assert s.searcher.lower() == me.lower() and s.token.lower() == usdc.lower()
    assert s.profit_wei == after - before > 0
    assert intel.arbitrages == ()
    # what the intel task sends the store: the sandwich, its victim, and nothing else
    event = await intel_event(dn, number)
    (seen,) = event.arbitrages
    assert (seen.kind, seen.tx_hash, seen.victims) == ("sandwich", s.back_tx, s.victim_txs)
    assert seen.profit_wei == s.profit_wei and seen.gas_wei == s.gas_wei > 0
    assert event.plain_swaps == 1 and event.rejected_logs == 0
