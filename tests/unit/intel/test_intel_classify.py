"""Classification of a block's swaps: arbitrages (inventory and flash funded, router paths,
triangles), losing arbitrages, ours vs others', sandwiches and their victims, plain swaps."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from appliance.intel import Kind, SwapEvent, TxInfo, classify_block, find_cycles

A, B, C = "0x" + "a" * 40, "0x" + "b" * 40, "0x" + "c" * 40
P1, P2, P3, P4 = ("0x" + f"{i}" * 40 for i in (1, 2, 3, 4))
ROUTER, BOT, OUR_EXECUTOR = "0x" + "e" * 40, "0x" + "f" * 40, "0x" + "9" * 40
_log = itertools.count()


def swap(tx, pool, t_in, t_out, a_in, a_out, *, block=100):
    return SwapEvent(block, tx, next(_log), pool, ROUTER, ROUTER, t_in, t_out, a_in, a_out)


def h(n: int) -> str:
    return "0x" + f"{n:064x}"


def tx(n, sender="0x" + "5" * 40, to=ROUTER, gas=21_000 * 10**9):
    return h(n), TxInfo(h(n), sender, to, gas)


def test_two_pool_arbitrage_bought_with_inventory():
    t, info = tx(1, to=BOT)
    swaps = [swap(t, P1, A, B, 1000, 2000), swap(t, P2, B, A, 2000, 1010)]
    intel = classify_block(swaps, {t: info})
    (arb,) = intel.arbitrages
    assert arb.kind is Kind.ARBITRAGE
    assert (arb.start_token, arb.profit_wei, arb.pools) == (A, 10, (P1, P2))
    assert (arb.searcher, arb.contract, arb.gas_wei) == (info.sender, BOT, info.gas_wei)
    assert intel.swaps == () and intel.sandwiches == ()


def test_flash_funded_triangle_profit_is_where_the_leftover_is():
    # borrow B from P1 (A/B pool), B->C on P2, C->A on P3, repay A to P1: P1 logs last.
    t, info = tx(2, to=BOT)
    swaps = [swap(t, P2, B, C, 500, 700), swap(t, P3, C, A, 700, 330), swap(t, P1, A, B, 300, 500)]
    (arb,) = classify_block(swaps, {t: info}).arbitrages
    assert (arb.start_token, arb.profit_wei) == (A, 30)
    assert arb.pools == (P2, P3, P1)


def test_losing_arbitrage_is_recorded_with_negative_profit():
    t, info = tx(3)
    swaps = [swap(t, P1, A, B, 1000, 2000), swap(t, P2, B, A, 2000, 990)]
    (arb,) = classify_block(swaps, {t: info}).arbitrages
    assert arb.profit_wei == -10


def test_router_multi_hop_cycle_inside_one_dex_and_a_plain_swap_before_it():
    t, info = tx(4)
    swaps = [
        swap(t, P4, C, B, 5, 6),  # unrelated plain swap first
        swap(t, P1, A, B, 100, 200),
        swap(t, P2, B, C, 200, 300),
        swap(t, P3, C, A, 300, 104),
    ]
    intel = classify_block(swaps, {t: info})
    (arb,) = intel.arbitrages
    assert (arb.start_token, arb.profit_wei, arb.pools) == (A, 4, (P1, P2, P3))
    assert [s.pool for s in intel.swaps] == [P4]


def test_a_one_way_multi_hop_path_is_not_an_arbitrage():
    t, info = tx(5)
    swaps = [swap(t, P1, A, B, 100, 200), swap(t, P2, B, C, 200, 300)]
    intel = classify_block(swaps, {t: info})
    assert intel.arbitrages == () and len(intel.swaps) == 2


def test_ours_by_sender_or_by_executor():
    t1, i1 = tx(6, sender="0x" + "7" * 40)
    t2, i2 = tx(7, to=OUR_EXECUTOR)
    swaps = [swap(t1, P1, A, B, 1, 3), swap(t1, P2, B, A, 3, 2)]
    swaps += [swap(t2, P3, A, B, 1, 3), swap(t2, P4, B, A, 3, 2)]
    intel = classify_block(swaps, {t1: i1, t2: i2}, ours={i1.sender.upper(), OUR_EXECUTOR})
    assert [a.kind for a in intel.arbitrages] == [Kind.OURS, Kind.OURS]


def test_sandwich_around_a_victim():
    front, fi = tx(10, sender="0x" + "1" * 40)
    victim, vi = tx(11, sender="0x" + "2" * 40)
    back, bi = tx(12, sender="0x" + "1" * 40)
    swaps = [
        swap(front, P1, A, B, 100, 190),
        swap(victim, P1, A, B, 1000, 1700),
        swap(back, P1, B, A, 190, 112),
    ]
    intel = classify_block(swaps, {front: fi, victim: vi, back: bi})
    (s,) = intel.sandwiches
    assert (s.front_tx, s.back_tx, s.victim_txs) == (front, back, (victim,))
    assert (s.token, s.profit_wei, s.gas_wei) == (A, 12, fi.gas_wei + bi.gas_wei)
    assert intel.arbitrages == ()
    assert [x.tx_hash for x in intel.swaps] == [victim]
    assert intel.kind_of(front) is Kind.SANDWICH and intel.kind_of(victim) is Kind.SWAP


def test_two_swaps_of_one_trader_without_a_victim_are_not_a_sandwich():
    t1, i1 = tx(20, sender="0x" + "1" * 40)
    t2, i2 = tx(21, sender="0x" + "2" * 40)
    t3, i3 = tx(22, sender="0x" + "1" * 40)
    swaps = [
        swap(t1, P1, A, B, 100, 190),
        swap(t2, P1, B, A, 50, 25),  # the other way: not a victim
        swap(t3, P1, B, A, 190, 98),
    ]
    intel = classify_block(swaps, {t1: i1, t2: i2, t3: i3})
    assert intel.sandwiches == () and len(intel.swaps) == 3


@given(
    amounts=st.lists(st.integers(1, 10**30), min_size=2, max_size=6),
    final=st.integers(0, 10**30),
)
def test_inventory_cycles_profit_is_last_out_minus_first_in(amounts, final):
    tokens = [f"0x{i:040x}" for i in range(1, len(amounts) + 1)]
    t, info = tx(99)
    swaps = []
    for i, amount in enumerate(amounts):
        out = amounts[i + 1] if i + 1 < len(amounts) else final
        swaps.append(
            swap(t, f"0x{100 + i:040x}", tokens[i], tokens[(i + 1) % len(tokens)], amount, out)
        )
    (arb,) = classify_block(swaps, {t: info}).arbitrages
    assert (arb.start_token, arb.profit_wei) == (tokens[0], final - amounts[0])
    assert len(find_cycles(swaps)) == 1
