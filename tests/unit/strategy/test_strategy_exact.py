"""The integer optimum: against exhaustive brute force, and against ternary + local search."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.events import Candidate, Leg
from appliance.market import SwapError, get_amount_in, get_amounts_out
from appliance.strategy import (
    gas_in_base,
    optimal_input,
    profit_upper_bound,
    rank_disjoint,
    recheck,
)


def profit(x: int, hops) -> int | None:
    try:
        return get_amounts_out(x, hops)[-1] - x
    except SwapError:
        return None


def brute_force(hops, cap):
    """Every integer input in [1, cap]."""
    best = None
    for x in range(1, cap + 1):
        p = profit(x, hops)
        if p is not None and (best is None or p > best[0]):
            best = (p, x)
    return best


def ternary_local(hops, cap, window=3000):
    """Ternary search over integers down to a window, then every integer of the window."""

    def f(x):
        p = profit(x, hops)
        return -(10**80) if p is None else p

    lo, hi = 1, cap
    while hi - lo > 2 * window:
        m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
        if f(m1) < f(m2):
            lo = m1 + 1
        else:
            hi = m2 - 1
    mid = (lo + hi) // 2
    return max((f(x), x) for x in range(max(1, mid - 2 * window), min(cap, mid + 2 * window) + 1))


def plant(rng: random.Random, n_hops: int, scale: float, edge: float, fees=(30, 25, 30, 0)):
    """Pools at random prices whose cycle rate is ``edge`` (> 1: a dislocation)."""
    hops = []
    for _ in range(n_hops):
        a = int(scale * rng.uniform(0.5, 5))
        hops.append([a, int(a * rng.uniform(0.2, 5)), rng.choice(fees)])
    rate = 1.0
    for a, b, fee in hops:
        rate *= b / a * (10_000 - fee) / 10_000
    hops[-1][1] = int(hops[-1][1] * edge / rate)
    return [tuple(h) for h in hops]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1_000, 60_000),
            st.integers(1_000, 60_000),
            st.sampled_from([0, 25, 30, 100]),
        ),
        min_size=2,
        max_size=3,
    ),
    st.integers(1, 3_000),
)
def test_equals_exhaustive_brute_force_on_small_pools(hops, cap):
    best = brute_force(hops, cap)
    opt = optimal_input(hops, cap, max_evals=10**6)
    if best is None or best[0] <= 0:
        assert opt is None
        return
    assert opt is not None and opt.proven
    assert opt.profit == best[0]
    assert opt.amounts == tuple(get_amounts_out(opt.amount_in, hops)[1:])
    assert opt.amount_in <= cap


@pytest.mark.parametrize("n_hops", [2, 3])
def test_planted_dislocations_small_pools_exhaustive(n_hops):
    rng = random.Random(n_hops)
    for _ in range(4):
        hops = plant(rng, n_hops, 2e5, rng.uniform(1.01, 1.2))
        best = brute_force(hops, 60_000)
        opt = optimal_input(hops, 60_000, max_evals=4096)
        assert opt is not None and opt.proven
        assert opt.profit == best[0] > 0


@pytest.mark.parametrize("n_hops", [2, 3])
def test_planted_dislocations_match_ternary_plus_local_search(n_hops):
    """Deep pools: no exhaustive search is possible; the reference is ternary + local search."""
    rng = random.Random(10 + n_hops)
    proven = 0
    for i in range(12):
        scale = 10 ** rng.choice([9, 12, 15, 18, 21])
        hops = plant(rng, n_hops, scale, rng.uniform(1.003, 1.05))
        cap = 10**30
        ref_profit, _ = ternary_local(hops, cap)
        opt = optimal_input(hops, cap)
        assert opt is not None, hops
        upper = profit_upper_bound(hops, cap)
        assert ref_profit <= upper
        assert opt.profit + opt.gap == upper
        proven += opt.proven
        if opt.proven:
            assert opt.profit >= ref_profit, (i, hops)
        else:  # the last wei of a flat optimum is not certified: within the bound's gap
            assert opt.gap <= 1 and opt.profit >= ref_profit - 1, (i, hops)
    assert proven >= 8


def test_cap_binds_and_the_result_is_the_best_under_it():
    hops = [(10**6, 2 * 10**6, 30), (10**6, 10**6, 30)]
    free = optimal_input(hops, 10**9)
    capped = optimal_input(hops, 1_000)
    assert free is not None and capped is not None
    assert capped.amount_in == 1_000 < free.amount_in
    assert capped.profit == brute_force(hops, 1_000)[0]


def test_no_profit_no_result():
    balanced = [(10**21, 3 * 10**9, 30), (3 * 10**9, 10**21, 30)]
    assert optimal_input(balanced, 10**30) is None
    assert optimal_input([(10**6, 3 * 10**6, 30), (10**6, 10**6, 30)], 0) is None
    assert optimal_input([(0, 3, 30), (3, 3, 30)], 10) is None


def test_gas_floor_prunes_unprofitable_cycles():
    hops = [(10**6, 1_010_000, 0), (10**6, 10**6, 0)]
    opt = optimal_input(hops, 10**9)
    assert opt is not None
    assert optimal_input(hops, 10**9, floor=opt.profit) is None
    assert optimal_input(hops, 10**9, floor=opt.profit - 1).profit == opt.profit


def test_gas_priced_in_the_base_token_through_the_cheapest_pool():
    weth, usdc = "0xWETH", "0xUSDC"
    assert gas_in_base(123, weth, weth, []) == 123
    quotes = [(3_000 * 10**6 * 100, 100 * 10**18, 30), (3_100 * 10**6 * 10, 10 * 10**18, 30)]
    cost = gas_in_base(10**15, usdc, weth, quotes)
    assert cost == min(get_amount_in(10**15, rb, rn, fee) for rb, rn, fee in quotes)
    assert cost > 3 * 10**6  # more than spot: buying the gas back pays the fee and the slippage
    assert gas_in_base(10**15, usdc, weth, []) is None


def test_recheck_subtracts_gas_and_drops_net_losses():
    hops = [(10**21, 1_02 * 10**19, 30), (10**21, 10**21, 30)]
    legs = (Leg("0xP", "0xW", "0xX", 30), Leg("0xQ", "0xX", "0xW", 30))
    opt = optimal_input(hops, 10**30)
    cand = recheck(
        block=7,
        legs=legs,
        hops=hops,
        base_token="0xW",
        cap=10**30,
        gas_estimate=165_000,
        gas_cost=10**15,
    )
    assert cand is not None
    assert cand.amount_in == opt.amount_in and cand.amounts == opt.amounts
    assert cand.net_profit == opt.profit - 10**15
    assert (
        recheck(
            block=7,
            legs=legs,
            hops=hops,
            base_token="0xW",
            cap=10**30,
            gas_estimate=1,
            gas_cost=opt.profit,
        )
        is None
    )


def _cand(pools, profit, base="0xW"):
    legs = tuple(Leg(p, "0xA", "0xB", 30) for p in pools)
    return Candidate(
        1, legs, base, 100, 100 + profit, 1, 0, tuple([1] * (len(pools) - 1) + [100 + profit])
    )


def test_one_order_per_pool_best_first():
    a, b, c, d = (
        _cand(["P1", "P2"], 50),
        _cand(["P2", "P3"], 80),
        _cand(["P4", "P5"], 10),
        _cand(["P6", "P7"], 0),
    )
    assert rank_disjoint([a, b, c, d]) == (b, c)
    # values convert each base token's profit into a common unit
    e = _cand(["P8", "P9"], 1, base="0xU")
    assert rank_disjoint([c, e], {"0xW": 1.0, "0xU": 100.0}) == (e, c)
