"""The float fold agrees with the exact rational cycle function and with the exact peak."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from appliance.market import MarketState
from appliance.market.synthetic import NoiseMarket
from appliance.strategy import Screen, build_cycles
from appliance.strategy.exact import fold_exact


def _hops(cs, st, cid):
    hops = []
    for k in range(int(cs.hops[cid])):
        pid = int(cs.pools[cid, k])
        r0, r1, fee = st.reserve0[pid], st.reserve1[pid], int(st.fee_bps[pid])
        hops.append((r0, r1, fee) if cs.zero_for_one[cid, k] else (r1, r0, fee))
    return hops


@pytest.fixture
def market():
    m = NoiseMarket(n_tokens=15, seed=5, dex_fees=(30, 25, 100))
    for _ in range(30):
        m.step(trades=20, max_fraction=0.08)  # dislocate
    st = MarketState()
    st.set_pools(m.discovered())
    st.apply(m.snapshot())
    cs = build_cycles(st, m.base, 4)
    return st, cs


def test_fold_and_optimum_match_the_exact_function(market):
    st, cs = market
    sc = Screen(cs, st)
    assert sc.update() == len(cs)
    profitable = np.flatnonzero(sc.profit > 0)
    assert 0 < len(profitable) < len(cs)
    for cid in random.Random(1).sample(range(len(cs)), 200):
        n, d, c = fold_exact(_hops(cs, st, cid))
        rate_gt_1 = n > d
        assert (sc.profit[cid] > 0) == rate_gt_1 or math.isclose(n / d, 1.0, rel_tol=1e-9)
        if rate_gt_1 and sc.profit[cid] > 0:
            x_exact = (math.isqrt(n * d) - d) / c
            assert sc.x_star[cid] == pytest.approx(x_exact, rel=1e-6)
            x = sc.x_star[cid]
            assert sc.out_star[cid] == pytest.approx(n * x / (d + c * x), rel=1e-9)
            assert sc.profit[cid] == pytest.approx(sc.out_star[cid] - x, rel=1e-6)


def test_incremental_update_equals_full(market):
    st, cs = market
    full, inc = Screen(cs, st), Screen(cs, st)
    full.update()
    inc.update()
    rng = random.Random(2)
    changed = rng.sample(range(st.n_pools), 9)
    for pid in changed:
        st._set(pid, st.reserve0[pid] * 3 // 2, st.reserve1[pid])
    full.update()
    inc.update(cs.affected(changed))
    assert np.array_equal(full.profit, inc.profit)
    assert np.array_equal(full.x_star, inc.x_star)


def test_zero_reserves_are_never_profitable(market):
    st, cs = market
    st.clear_reserves()
    sc = Screen(cs, st)
    sc.update()
    assert not sc.profit.any()
    assert len(sc.top(10, np.ones(len(st.tokens)), np.zeros(5))) == 0


def test_top_ranks_by_profit_net_of_gas(market):
    st, cs = market
    sc = Screen(cs, st)
    sc.update()
    value = np.zeros(len(st.tokens))
    value[cs.base] = 1.0
    gas = np.zeros(5)
    top = sc.top(5, value, gas)
    assert len(top) == 5
    assert list(sc.profit[top]) == sorted(sc.profit[top], reverse=True)
    assert sc.profit[top[0]] == sc.profit.max()
    huge_gas = np.full(5, sc.profit.max() * 2)
    assert len(sc.top(5, value, huge_gas)) == 0
