"""The strategy's view of a pool is wrong (issue 23, skewed reserves): before signing, the
simulation of the exact calldata on the pending block disagrees with the expected output, and
the candidate is rejected, logged, journaled with its reason and counted — in live mode and in
paper mode alike (paper behaves as live up to the signature).

The disagreement is real: a swap mined on the actual pool after the candidate was computed
(the candidate still pays, so only the comparison can catch it), exactly as a lying endpoint's
skewed ``getReserves`` would make the strategy believe in reserves the chain does not hold.
"""

from __future__ import annotations

import logging

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, plant

from appliance.events import TradeStatus
from appliance.metrics import Metrics

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(120)]


@pytest.mark.parametrize("live", [True, False])
async def test_a_simulation_that_disagrees_is_rejected_logged_and_counted(
    chain, journal, latch, tmp_path, caplog, live
):
    dn, inv, _ = chain
    await plant(dn, 2)
    believed = await make_candidate(dn, 2)  # what the strategy believes ...
    await dn.swap("uniswap", "USDC", "WETH", 20_000 * 10**6, account="competitor")  # ... moved
    actual = await make_candidate(dn, 2, amount_in=believed.amount_in)
    assert 0 < actual.gross_profit < believed.gross_profit  # still pays: no revert to catch it
    nonce_before = await dn.call(
        "eth_getTransactionCount", [dn.accounts["appliance"].address, "pending"]
    )
    metrics = Metrics(latch=latch, data_dir=tmp_path)
    caplog.set_level(logging.WARNING, logger="appliance.execution")
    h = Harness(exec_config(dn, inv, live=live), journal, latch)
    async with trio.open_nursery() as nursery:
        await h.start(nursery)
        order = await h.send_order(believed)
        final = await h.next_update()
        metrics.observe(final)
        await h.orders_send.aclose()
    assert final.status is TradeStatus.DROPPED and final.tx_hash is None
    assert final.reason == (
        f"sim_mismatch: simulated profit {actual.gross_profit} wei,"
        f" expected {believed.gross_profit} (bound 2 wei)"
    )
    assert h.pipe.stats.sim_mismatch == 1
    row = journal.trade(order.order_id)
    assert (row["status"], row["reason"]) == ("dropped", final.reason)
    assert h.write_ahead_rows == [final]  # durable before the log line
    assert any("sim_mismatch" in r.getMessage() for r in caplog.records)
    value = metrics.registry.get_sample_value
    assert value("arb_trades_dropped_total", {"reason": "sim_mismatch"}) == 1
    assert (
        await dn.call("eth_getTransactionCount", [dn.accounts["appliance"].address, "pending"])
        == nonce_before
    )
