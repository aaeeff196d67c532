"""Losing the race: a dislocation removed before the send (simulation drops the order) or by a
competing swap earlier in the same block (the executor reverts; only gas is lost)."""

from __future__ import annotations

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, plant

from appliance.events import TradeStatus

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(180)]


async def test_state_moved_before_sending_simulation_drops(chain, journal, latch):
    dn, inv, _ = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    # A competitor takes the dislocation back (mined) before our order reaches execution.
    await dn.swap("uniswap", "USDC", "WETH", 200_000 * 10**6, account="competitor")
    nonce_before = int(
        await dn.call("eth_getTransactionCount", [dn.accounts["appliance"].address, "pending"]), 16
    )
    h = Harness(exec_config(dn, inv), journal, latch)
    async with trio.open_nursery() as nursery:
        await h.start(nursery)
        await h.send_order(cand)
        final = await h.next_update()
        await h.orders_send.aclose()
    assert final.status is TradeStatus.DROPPED
    assert final.reason == "simulation: executor: profit below minimum"
    assert (
        final.tx_hash is None and h.write_ahead_rows == []
    )  # nothing signed, nothing journaled ahead
    nonce_after = int(
        await dn.call("eth_getTransactionCount", [dn.accounts["appliance"].address, "pending"]), 16
    )
    assert nonce_after == nonce_before  # no nonce burnt
    assert h.pipe.nonces.next == nonce_before


@pytest.mark.parametrize("funding", ["inventory", "flash"])
async def test_competing_swap_earlier_in_the_block_reverts_with_reason(
    chain, journal, latch, funding
):
    dn, inv, flash = chain
    executor = inv if funding == "inventory" else flash
    await plant(dn, 2)
    # The competitor's approval is mined now; its swap waits in the pool with a higher tip.
    await dn.swap("uniswap", "USDC", "WETH", 1, account="competitor")
    cand = await make_candidate(dn, 2)  # of the state the simulation sees (else: sim_mismatch)
    before = await dn.balance("WETH", executor)
    eth_before = await dn.balance("ETH", "appliance")
    h = Harness(exec_config(dn, executor, funding=funding), journal, latch)
    async with trio.open_nursery() as nursery:
        await h.start(nursery)
        order = await h.send_order(cand)
        sent = await h.until({TradeStatus.SENT, TradeStatus.DROPPED})
        assert sent.status is TradeStatus.SENT, sent.reason
        competitor = await _competing_swap(dn, tip_gwei=50)
        await dn.mine()
        final = await h.until({TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED})
        await h.orders_send.aclose()
    block = await dn.call("eth_getBlockByNumber", [hex(final.block_mined), False])
    assert block["transactions"].index(competitor) < block["transactions"].index(final.tx_hash)
    assert final.status is TradeStatus.REVERTED
    assert final.block_mined == sent.block_sent + 1
    assert final.reason == "executor: profit below minimum"
    assert final.realized_profit == 0
    assert await dn.balance("WETH", executor) == before  # inventory untouched
    assert eth_before - await dn.balance("ETH", "appliance") == final.gas_cost > 0  # loss = gas
    row = journal.trade(order.order_id)
    assert (row["status"], row["reason"]) == ("reverted", "executor: profit below minimum")


async def _competing_swap(dn, *, tip_gwei: int) -> str:
    """USDC -> WETH on the cheap pool through the real router, unmined, with a higher tip."""
    return await dn.swap(
        "uniswap",
        "USDC",
        "WETH",
        200_000 * 10**6,
        account="competitor",
        mine=False,
        tip_gwei=tip_gwei,
    )
