"""The receipts' gas goes into a block's classification without classifying it again."""

from __future__ import annotations

from test_intel_classify import BOT, P1, P2, A, B, swap, tx

from appliance.intel import Kind, TxInfo, classify_block
from appliance.intel.task import with_gas


def test_gas_from_the_receipts_replaces_the_bodys_zero_in_arbitrages_and_sandwich_legs():
    t_arb, body_arb = tx(1, to=BOT, gas=0)
    front, body_front = tx(2, sender=BOT, gas=0)
    victim, body_victim = tx(3, gas=0)
    back, body_back = tx(4, sender=BOT, gas=0)
    swaps = [
        swap(t_arb, P1, A, B, 1000, 2000),
        swap(t_arb, P2, B, A, 2000, 1010),
        swap(front, P1, A, B, 100, 190),
        swap(victim, P1, A, B, 1000, 1800),
        swap(back, P1, B, A, 190, 120),
    ]
    body = {t_arb: body_arb, front: body_front, victim: body_victim, back: body_back}
    intel = classify_block(swaps, body)
    receipts = {
        h: TxInfo(h, info.sender, info.to, gas)
        for (h, info), gas in zip(
            [(t_arb, body_arb), (front, body_front), (back, body_back)], (7, 11, 13), strict=True
        )
    }
    done = with_gas(intel, receipts)
    (arb,) = done.arbitrages
    (sandwich,) = done.sandwiches
    assert (arb.gas_wei, arb.profit_wei, arb.searcher) == (7, 10, body_arb.sender)
    assert (sandwich.gas_wei, sandwich.profit_wei) == (24, 20)
    assert done.swaps == intel.swaps
    # equal to classifying again with the receipts (what the reader did before, twice the work)
    assert done == classify_block(swaps, {**body, **receipts})


def test_a_block_body_that_failed_leaves_the_searcher_to_the_receipt():
    t, info = tx(1, to=BOT, gas=5)
    swaps = [swap(t, P1, A, B, 1000, 2000), swap(t, P2, B, A, 2000, 1010)]
    blind = classify_block(swaps, {})
    assert blind.arbitrages[0].searcher == ""
    (arb,) = with_gas(blind, {t: info}, ours={BOT}).arbitrages
    assert (arb.searcher, arb.contract, arb.gas_wei, arb.kind) == (info.sender, BOT, 5, Kind.OURS)
    assert with_gas(blind, {}) == blind  # no receipt: nothing to fill in
