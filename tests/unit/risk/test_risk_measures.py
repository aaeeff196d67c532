"""VaR/CVaR against a sort-based oracle, ring buffers, volatility regime, Kelly, correlation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.risk import (
    KellySizer,
    PriceReturns,
    RingBuffer,
    TailRisk,
    exposure_scales,
    tail_risk,
    vol_regime,
)


def oracle(values, confidence):
    ordered = sorted(values)
    k = max(0, math.ceil(round((1 - confidence) * len(ordered), 9)) - 1)
    tail = ordered[: k + 1]
    return max(0.0, -ordered[k]), max(0.0, -sum(tail) / len(tail))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(10**18), 10**18).map(float), min_size=2, max_size=400))
def test_tail_risk_matches_the_sorted_oracle(values):
    fig = tail_risk(np.array(values))
    for conf, var, cvar in ((0.95, fig.var95, fig.cvar95), (0.99, fig.var99, fig.cvar99)):
        ovar, ocvar = oracle(values, conf)
        assert var == pytest.approx(ovar, rel=1e-9, abs=1e-3)
        assert cvar == pytest.approx(ocvar, rel=1e-9, abs=1e-3)
        assert cvar >= var - 1e-3 * max(1.0, abs(var))  # CVaR is never below VaR


def test_var_of_a_known_sample():
    pnl = np.arange(-50, 50, dtype=float)  # 100 points
    fig = tail_risk(pnl)
    assert fig.var95 == 46.0  # the 5th smallest is -46
    assert fig.cvar95 == 48.0  # mean of -50..-46
    assert fig.var99 == 50.0 and fig.cvar99 == 50.0


def test_all_gains_means_no_tail_loss():
    assert tail_risk(np.ones(50)).var95 == 0.0


def test_rolling_window_forgets_old_points():
    tr = TailRisk(window=10)
    for _ in range(10):
        tr.add(-1000.0)
    assert tr.figures.var95 == 1000.0
    for _ in range(10):
        tr.add(5.0)
    assert tr.figures.var95 == 0.0 and len(tr) == 10


def test_ring_buffer_order():
    rb = RingBuffer(3)
    rb.extend([1, 2, 3, 4, 5])
    assert list(rb.ordered()) == [3.0, 4.0, 5.0]
    assert sorted(rb.values()) == [3.0, 4.0, 5.0]
    with pytest.raises(ValueError, match="capacity"):
        RingBuffer(0)


def test_vol_regime_thresholds():
    assert vol_regime(0.001, 0.005, 0.02) == "low"
    assert vol_regime(0.005, 0.005, 0.02) == "medium"
    assert vol_regime(0.02, 0.005, 0.02) == "high"
    assert vol_regime(float("nan"), 0.005, 0.02) == "high"


def test_price_returns_volatility_and_correlation():
    rng = np.random.default_rng(7)
    pr = PriceReturns(window=200)
    a = b = c = 1.0
    for _ in range(200):
        shock = rng.normal(0, 0.01)
        a *= math.exp(shock)
        b *= math.exp(shock + rng.normal(0, 0.001))  # moves with a
        c *= math.exp(rng.normal(0, 0.01))  # independent
        pr.observe({"A": a, "B": b, "C": c})
    vol = pr.volatility()
    assert 0.007 < vol["A"] < 0.013
    corr = pr.correlation()
    assert corr[("A", "B")] > 0.95 and corr[("B", "A")] == corr[("A", "B")]
    assert abs(corr[("A", "C")]) < 0.3
    scales = exposure_scales(("A", "B"), corr)
    assert 0.5 <= scales["A"] < 0.52
    assert exposure_scales(("A", "C"), {("A", "C"): -0.9, ("C", "A"): -0.9})["A"] == 1.0


def test_price_returns_tolerate_missing_tokens():
    pr = PriceReturns(window=10)
    pr.observe({"A": 1.0})
    pr.observe({"A": 1.1, "B": 2.0})
    pr.observe({"B": 2.2})
    assert pr.tokens == ("A", "B")
    assert len(pr) == 3
    assert pr.volatility(min_points=2) == {}  # one return each so far
    for i in range(3):
        pr.observe({"A": 1.1 + 0.1 * (i % 2), "B": 2.2 + 0.2 * (i % 2)})
    vol = pr.volatility(min_points=2)
    assert set(vol) == {"A", "B"} and all(v > 0 for v in vol.values())
    assert pr.correlation(min_points=3)[("A", "B")] == pytest.approx(1.0)


def test_kelly():
    k = KellySizer(fraction=0.5, cap_pct=25.0, min_trades=4)
    assert k.bet_fraction(np.array([1.0, 1.0, -1.0])) is None  # too few
    # p = 0.75, b = 2 -> f* = 0.75 - 0.25/2 = 0.625 -> half Kelly 0.3125 -> capped 0.25
    assert k.bet_fraction(np.array([2.0, 2.0, 2.0, -1.0])) == 0.25
    # p = 0.5, b = 1.5 -> f* = 0.5 - 0.5/1.5 = 1/6 -> half = 1/12
    assert k.bet_fraction(np.array([3.0, -2.0, 3.0, -2.0])) == pytest.approx(1 / 12)
    assert k.bet_fraction(np.array([-1.0] * 5)) == 0.0  # losing: no bet
    assert k.bet_fraction(np.array([1.0] * 5)) == 0.25  # never lost: the cap
