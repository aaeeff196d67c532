"""The net profit after gas is judged with the node's estimate of the exact calldata, not the
strategy's constant (issue 14.8), on the real chain, in live and paper mode.

The candidate is real (the pools' own arithmetic on a planted dislocation) and sized so that its
gross profit is 110,000 gas worth at the head's price: the gate's view (a 100,000-gas constant)
says it pays; the node's estimate of the exact calldata (123,000-160,000 gas measured for this
cycle, plus the 10 % margin) says it loses. Execution drops it before signing, with the reason
journaled.
"""

from __future__ import annotations

import dataclasses

import pytest
import trio
from exec_helpers import (
    Harness,
    cycle_amounts,
    exec_config,
    leg_reserves,
    legs_for,
    make_candidate,
    plant,
)

from appliance.events import TradeStatus
from appliance.execution.fees import initial_fees

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(120)]
CONSTANT_GAS = 100_000  # what a too-low per-hop constant would say


async def _sized(dn, target_profit: int) -> int:
    """The smallest input whose exact 2-hop gross profit reaches ``target_profit``."""
    legs = legs_for(dn, 2)
    reserves = await leg_reserves(dn, legs)
    lo, hi = 1, reserves[0][0] // 100
    while lo < hi:
        mid = (lo + hi) // 2
        if cycle_amounts(mid, legs, reserves)[-1] - mid >= target_profit:
            hi = mid
        else:
            lo = mid + 1
    return lo


@pytest.mark.parametrize("live", [True, False])
async def test_a_trade_that_loses_after_the_estimated_gas_is_dropped(chain, journal, latch, live):
    dn, inv, _ = chain
    await plant(dn, 2)
    cfg = exec_config(dn, inv, live=live)
    block = await dn.call("eth_getBlockByNumber", ["latest", False])
    base_fee = int(block["baseFeePerGas"], 16)
    fees = initial_fees(cfg.execution, base_fee)
    price = min(fees.max_fee, base_fee + fees.tip)
    amount = await _sized(dn, 110_000 * price)
    cand = await make_candidate(dn, 2, amount_in=amount)
    cand = dataclasses.replace(cand, gas_estimate=CONSTANT_GAS, gas_cost=CONSTANT_GAS * price)
    assert cand.net_profit > 0  # the gate's view: it pays
    h = Harness(cfg, journal, latch)
    async with trio.open_nursery() as nursery:
        await h.start(nursery)
        order = await h.send_order(cand)
        final = await h.next_update()
        await h.orders_send.aclose()
    assert final.status is TradeStatus.DROPPED and final.tx_hash is None, final
    assert final.reason.startswith("net_profit: net profit -"), final.reason
    gas = int(final.reason.rsplit("(gas ", 1)[1].split()[0])
    assert gas > CONSTANT_GAS * 110 // 100  # the node's estimate (plus margin), not the constant
    assert h.pipe.stats.net_refused == 1
    assert journal.trade(order.order_id)["reason"] == final.reason
