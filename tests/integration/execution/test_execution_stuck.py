"""Stuck transactions on the real node: replaced with bumped fees (same nonce), then cancelled."""

from __future__ import annotations

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, plant

from appliance.events import TradeStatus

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(180)]


async def test_a_stuck_trade_is_replaced_and_the_replacement_lands(chain, journal, latch):
    dn, inv, _ = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    before = await dn.balance("WETH", inv)
    h = Harness(exec_config(dn, inv, receipt_timeout_s=1.0), journal, latch)
    async with trio.open_nursery() as nursery:
        await h.start(nursery)
        await h.send_order(cand)
        first = await h.until({TradeStatus.SENT})
        replaced = await h.until({TradeStatus.SIGNED})  # no block for 1 s: replacement
        assert replaced.reason == "replaced: fees bumped" and replaced.nonce == first.nonce
        assert replaced.tx_hash != first.tx_hash and h.write_ahead_rows[-1] == replaced
        await h.until({TradeStatus.SENT})
        pool = await dn.call("txpool_content")
        (txs,) = pool["pending"].values()
        assert [tx["hash"] for tx in txs.values()] == [replaced.tx_hash]  # the node replaced it
        await dn.mine()
        final = await h.until({TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED})
        await h.orders_send.aclose()
    assert final.status is TradeStatus.MINED and final.tx_hash == replaced.tx_hash
    assert await dn.call("eth_getTransactionReceipt", [first.tx_hash]) is None
    assert await dn.balance("WETH", inv) - before == final.realized_profit == cand.gross_profit


async def test_a_trade_stuck_past_two_timeouts_is_cancelled(chain, journal, latch):
    dn, inv, _ = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    before = await dn.balance("WETH", inv)
    appliance = dn.accounts["appliance"].address
    h = Harness(exec_config(dn, inv, receipt_timeout_s=1.0), journal, latch)
    async with trio.open_nursery() as nursery:
        await h.start(nursery)
        order = await h.send_order(cand)
        first = await h.until({TradeStatus.SENT})
        await h.until({TradeStatus.SIGNED})  # replacement
        cancel = await h.until({TradeStatus.SIGNED})  # cancellation
        assert cancel.reason.startswith("cancelling") and cancel.nonce == first.nonce
        await h.until({TradeStatus.SENT})
        await dn.mine()
        final = await h.until({TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED})
        await h.orders_send.aclose()
    assert final.status is TradeStatus.DROPPED and final.reason == "cancelled: not mined in time"
    assert final.tx_hash == cancel.tx_hash and final.gas_used == 21_000 and final.gas_cost > 0
    assert await dn.balance("WETH", inv) == before
    assert (
        int(await dn.call("eth_getTransactionCount", [appliance, "latest"]), 16) == first.nonce + 1
    )
    assert journal.trade(order.order_id)["status"] == "dropped"
