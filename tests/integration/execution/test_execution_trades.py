"""Planted dislocations on real Uniswap V2 pools, traded through the executor (both funding modes)."""

from __future__ import annotations

import pytest
import trio
from exec_helpers import Harness, exec_config, gas_limit_landed, make_candidate, plant

from appliance.events import TradeStatus

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(180)]


@pytest.mark.parametrize("hops", [2, 3])
@pytest.mark.parametrize("funding", ["inventory", "flash"])
async def test_planted_dislocation_lands_next_block_and_matches_journal(
    chain, journal, latch, hops, funding
):
    dn, inv, flash = chain
    executor = inv if funding == "inventory" else flash
    await plant(dn, hops)
    cand = await make_candidate(dn, hops)
    assert cand.gross_profit > 0
    before = await dn.balance("WETH", executor)
    if funding == "flash":
        assert before == 0  # no inventory: the first pair lends
    cfg = exec_config(dn, executor, funding=funding)
    h = Harness(cfg, journal, latch)
    async with trio.open_nursery() as nursery:
        await h.start(nursery)
        order = await h.send_order(cand)
        signed = await h.until({TradeStatus.SIGNED})
        assert journal.trade(order.order_id)["status"] == "signed"  # written ahead of the send
        sent = await h.until({TradeStatus.SENT, TradeStatus.DROPPED})
        assert sent.status is TradeStatus.SENT, sent.reason
        await dn.mine()
        final = await h.until({TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED})
        await h.orders_send.aclose()
    after = await dn.balance("WETH", executor)
    assert final.status is TradeStatus.MINED, final.reason
    assert final.tx_hash == signed.tx_hash
    assert final.block_mined == sent.block_sent + 1  # the next block
    assert final.realized_profit == cand.gross_profit  # exact: nothing moved in between
    assert after - before == final.realized_profit
    row = journal.trade(order.order_id)
    assert row["status"] == "mined"
    assert int(row["realized_profit"]) == after - before
    receipt = await dn.call("eth_getTransactionReceipt", [final.tx_hash])
    assert final.gas_used == int(receipt["gasUsed"], 16)
    assert final.gas_cost == int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert final.net_profit == final.realized_profit - final.gas_cost  # base is WETH: 1:1
    assert final.slippage_bps == 0.0
    limit, used, estimate = await gas_limit_landed(dn, cfg, final.tx_hash)  # derived, held
    print(
        f"{hops}-hop {funding}: profit {final.realized_profit} wei, gas {used}, limit {limit},"
        f" node estimate {estimate}"
    )
