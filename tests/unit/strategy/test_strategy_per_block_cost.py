"""The detector's cheaper per-block paths give the very figures and candidates of the plain ones.

A block changes a few pools: their cycles are found from the CSR rows directly, re-screened in
one pass over every cycle length, and the top cycles whose memo holds their reserves skip the
re-check's plumbing. Each is compared here with the plain path (the full screening pass, the
vectorised ``affected``, a re-check with nothing remembered), bit for bit and to the wei.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import appliance.strategy.cycles as cycles_module
from appliance.market import MarketState
from appliance.market.synthetic import NoiseMarket
from appliance.strategy import Detector, Screen, build_cycles
from appliance.strategy.exact import OptimumMemo, gas_in_base, recheck

GWEI = 10**9


@pytest.fixture(params=[3, 4], ids=["max3", "max4"])
def market(request):
    m = NoiseMarket(n_tokens=14, seed=9, dex_fees=(30, 25, 100))
    for _ in range(20):
        m.step(trades=20, max_fraction=0.08)  # dislocate
    st = MarketState()
    st.set_pools(m.discovered())
    st.apply(m.snapshot())
    return st, build_cycles(st, m.base, request.param)


def test_affected_of_a_few_pools_is_the_vectorised_answer(market, monkeypatch):
    st, cs = market
    rng = random.Random(1)
    for k in (0, 1, 2, 5, 16):
        for _ in range(40):
            pools = rng.choices(range(st.n_pools), k=k) + rng.choice([[], [-1], [st.n_pools]])
            few = cs.affected(np.array(pools, dtype=np.int64))
            with monkeypatch.context() as patch:
                patch.setattr(cycles_module, "_FEW_POOLS", -1)  # the vectorised path only
                plain = cs.affected(np.array(pools, dtype=np.int64))
            assert few.dtype == plain.dtype == np.int64
            assert np.array_equal(few, plain)
            assert np.array_equal(cs.affected(pools), plain)  # a list of ids too


def test_one_pass_rescreen_equals_the_full_pass_bit_for_bit(market):
    st, cs = market
    inc, full = Screen(cs, st), Screen(cs, st)
    inc.update()
    assert {h for h, (a, b) in cs.spans.items() if b > a} >= {2, 3}
    rng = random.Random(2)
    for step in range(30):
        changed = rng.sample(range(st.n_pools), rng.randint(1, 6))
        for pid in changed:
            if step % 10 == 9:
                st._set(pid, 0, 0)  # an emptied pool: NaN in the fold, never profitable
            else:
                st._set(pid, st.reserve0[pid] * rng.randint(90, 110) // 100 + 1, st.reserve1[pid])
        assert inc.update(cs.affected(changed)) == len(cs.affected(changed))
        full.update()
        for name in ("x_star", "out_star", "profit"):
            assert np.array_equal(getattr(inc, name), getattr(full, name)), name
    assert (inc.profit > 0).any()


class _Forgetful(OptimumMemo):
    """A memo that remembers nothing: every re-check is the plain search."""

    def known(self, key, hops, cap, max_evals, tolerance):
        return None

    def optimum(self, key, hops, cap, **kw):
        self._last.clear()
        return super().optimum(key, hops, cap, **kw)


def test_candidates_of_the_memo_path_are_those_of_the_plain_recheck():
    market = NoiseMarket(n_tokens=30, seed=3)
    cfg = market.app_config(top_n=12)
    fast, plain = Detector(cfg), Detector(cfg)
    plain._optima = _Forgetful()
    for det in (fast, plain):
        det.on_pools(market.discovered())
    event = market.snapshot()
    offered = 0
    for block in range(60):
        base_fee = (8 + block % 3) * GWEI
        a = fast.on_reserves(event, base_fee, seen_at=0.0)
        b = plain.on_reserves(event, base_fee, seen_at=0.0)
        assert a == b
        assert fast.base_prices() == plain.base_prices()
        if a is not None:
            offered += len(a.candidates)
            fast.mark_filled(a.candidates[0])
            plain.mark_filled(b.candidates[0])
        # a quiet block now and then (same reserves, new base fee): the memo answers alone
        event = market.step(trades=0 if block % 4 == 3 else 4, max_fraction=0.02)
    assert offered > 0
    assert fast._optima.hits > 0 and plain._optima.hits == 0
    assert fast.stats.rechecked == plain.stats.rechecked


def _plain_top(screen, n, base_value, gas_native):
    """Screen.top as first written: the positive cycles gathered, scored, filtered, ranked."""
    positive = np.flatnonzero(screen.profit > 0)
    cycles = screen.cycles
    score = screen.profit[positive] * base_value[cycles.base[positive]]
    score -= gas_native[cycles.hops[positive]]
    keep = score > 0
    positive, score = positive[keep], score[keep]
    if len(positive) > n:
        part = np.argpartition(-score, n - 1)[:n]
        positive, score = positive[part], score[part]
    return positive[np.argsort(-score, kind="stable")]


def test_top_scored_by_runs_is_the_plain_ranking(market):
    st, cs = market
    sc = Screen(cs, st)
    sc.update()
    assert len(sc._runs) >= 2 and (sc.profit > 0).any() and (sc.profit == 0).any()
    rng = np.random.default_rng(4)
    for trial in range(60):
        value = rng.random(len(st.tokens)) * 2
        if trial % 5 == 0:
            value[cs.base[0]] = 0.0  # a base token without a price
        gas = np.sort(rng.random(5)) * float(np.quantile(sc.profit[sc.profit > 0], 0.5))
        if trial % 7 == 0:
            gas[:] = 0.0  # no gas at all: a cycle without profit must still score nothing
        for n in (1, 3, 10, len(cs) + 1):
            fast, plain = sc.top(n, value, gas), _plain_top(sc, n, value, gas)
            assert fast.dtype == plain.dtype and np.array_equal(fast, plain)


def test_union_of_a_blocks_pools_is_numpys():
    from appliance.strategy.detector import _union

    rng = random.Random(5)
    for _ in range(200):
        a = np.array(rng.choices(range(40), k=rng.randint(0, 8)), dtype=np.int64)
        b = np.array(rng.choices(range(40), k=rng.randint(1, 8)), dtype=np.int64)
        got, want = _union(a, b), np.union1d(a, b)
        assert got.dtype == want.dtype and np.array_equal(got, want)


def _plain_evaluate(det: Detector, block: int, base_fee: int):
    """Detector.evaluate as first written: every top cycle re-checked into a candidate with
    nothing remembered, then ranked by net profit in native value, greedily pool-disjoint."""
    det._ensure_cycles()
    st = det.state
    gas_native = det.gas_units * det.gas_price(base_fee)
    value, quotes = det._base_values()
    found = []
    for cid in det._screen.top(det.top_n, value, gas_native.astype(np.float64)).tolist():
        legs, route, _, hops_n, base_token, gas_units = (det._plans.get(cid) or det._plan(cid))[:6]
        cap = det._cap(base_token)
        gas_cost = gas_in_base(
            int(gas_native[hops_n]), base_token, det.native_token, quotes.get(base_token, [])
        )
        if cap <= 0 or gas_cost is None:
            continue
        hops = [
            (st.reserve0[p], st.reserve1[p], fee) if zfo else (st.reserve1[p], st.reserve0[p], fee)
            for p, zfo, fee in route
        ]
        cand = recheck(block=block, legs=legs, hops=hops, base_token=base_token, cap=cap,
                       gas_estimate=gas_units, gas_cost=gas_cost)  # fmt: skip
        if cand is not None:
            found.append(cand)
    worth = {t: float(value[st.token_ids[t]]) for t in det.base_tokens if t in st.token_ids}
    ranked = [(c.net_profit * worth.get(c.base_token, 1.0), c) for c in found if c.net_profit > 0]
    ranked.sort(key=lambda item: item[0], reverse=True)
    used: set[str] = set()
    chosen = []
    for _, cand in ranked:
        pools = {leg.pool for leg in cand.legs}
        if not pools & used:
            used |= pools
            chosen.append(cand)
    return tuple(chosen)


def test_candidates_built_only_when_chosen_are_the_plain_evaluation():
    market = NoiseMarket(n_tokens=30, seed=11)
    det = Detector(market.app_config(top_n=16))
    det.on_pools(market.discovered())
    event = market.snapshot()
    chosen = several = 0
    for block in range(80):
        base_fee = (8 + block % 3) * GWEI
        if block % 10 == 5:  # a small cap now and then: capped optima, some cycles left out
            det.set_size_caps({t: 10**15 * (1 + block % 3) for t in market.base[:1]})
        elif block % 10 == 8:
            det.set_size_caps({})
        found = det.on_reserves(event, base_fee, seen_at=0.0)
        assert det._last is not None
        assert det._last[1] == _plain_evaluate(det, block, base_fee)
        chosen += len(det._last[1])
        several += len(det._last[1]) > 1
        if found is not None:
            det.mark_filled(found.candidates[0])
        event = market.step(trades=6, max_fraction=0.03)
    assert chosen > 80 and several > 10
