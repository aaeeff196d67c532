"""The re-check's memo of optima: the same integers as a fresh search, whatever the gas."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.events import Leg
from appliance.strategy.exact import OptimumMemo, optimal_input, recheck

LEGS3 = tuple(Leg(f"0xP{i}", "0xA", "0xB", 30) for i in range(3))

hops_st = st.lists(
    st.tuples(
        st.integers(1_000, 10**24),
        st.integers(1_000, 10**24),
        st.sampled_from([0, 25, 30, 100]),
    ),
    min_size=2,
    max_size=3,
)


def check(hops, cap, gas_cost, memo=None, key=None):
    return recheck(
        block=1,
        legs=LEGS3[: len(hops)],
        hops=hops,
        base_token="0xA",
        cap=cap,
        gas_estimate=100_000,
        gas_cost=gas_cost,
        memo=memo,
        key=key,
    )


@settings(max_examples=80, deadline=None)
@given(hops_st, st.integers(1, 10**24), st.lists(st.integers(0, 10**18), min_size=1, max_size=4))
def test_memo_gives_the_fresh_search_at_every_gas_cost(hops, cap, gas_costs):
    memo = OptimumMemo()
    opt = optimal_input(hops, cap)
    for gas_cost in gas_costs:
        fresh = check(hops, cap, gas_cost)
        assert check(hops, cap, gas_cost, memo, key=7) == fresh
        # the candidate is the cycle's own optimum less the gas: the gas never moves the input
        if opt is None or opt.profit <= gas_cost:
            assert fresh is None
        else:
            assert fresh is not None
            assert (fresh.amount_in, fresh.amounts) == (opt.amount_in, opt.amounts)
            assert fresh.net_profit == opt.profit - gas_cost


def test_memo_searches_again_only_when_the_cycle_changed():
    hops = [(10**21, 102 * 10**19, 30), (10**21, 10**21, 30)]
    memo = OptimumMemo()
    first = check(hops, 10**30, 10**15, memo, key=1)
    assert first is not None and (memo.hits, memo.misses) == (0, 1)
    assert check(hops, 10**30, 2 * 10**15, memo, key=1).amount_in == first.amount_in
    assert (memo.hits, memo.misses) == (1, 1)
    moved = [(10**21, 101 * 10**19, 30), (10**21, 10**21, 30)]
    again = check(moved, 10**30, 10**15, memo, key=1)
    assert memo.misses == 2 and again == check(moved, 10**30, 10**15)
    check(moved, 10**18, 10**15, memo, key=1)  # another cap: another search
    assert memo.misses == 3
    memo.clear()
    check(moved, 10**18, 10**15, memo, key=1)
    assert memo.misses == 4
