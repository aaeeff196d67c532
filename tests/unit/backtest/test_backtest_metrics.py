"""Backtest figures: exact P&L and drawdown, daily Sharpe/Sortino, fill models, percentiles."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.backtest.errors import BacktestError
from appliance.backtest.fills import AlwaysFirst, Competition, percentiles
from appliance.backtest.metrics import DAY_S, BacktestTrade, drawdown_curve, summarize


def trade(net: int, ts: float = 0.0, gas: int = 5) -> BacktestTrade:
    return BacktestTrade(1, ts, "WETH", 100, net + gas, gas, net)


def test_drawdown_is_from_the_running_peak_exactly():
    equity, dd = drawdown_curve([trade(10), trade(-4), trade(-3), trade(20), trade(-30)])
    assert equity == [10, 6, 3, 23, -7]
    assert dd == [0, 4, 7, 0, 30]


@given(st.lists(st.integers(-(10**24), 10**24), max_size=50))
def test_drawdown_never_negative_and_equity_is_the_exact_sum(nets):
    equity, dd = drawdown_curve([trade(n) for n in nets])
    assert all(d >= 0 for d in dd)
    assert (equity[-1] if equity else 0) == sum(nets)


def test_summary_daily_ratios_and_capture():
    trades = [trade(100, 0), trade(-50, DAY_S + 1), trade(200, 2 * DAY_S + 5)]
    s = summarize(trades, blocks=10, first_ts=0, last_ts=3 * DAY_S - 1, optimum_gross_wei=1000)
    assert (s.trades, s.wins, s.net_profit_wei, s.gas_wei) == (3, 2, 250, 15)
    assert s.gross_profit_wei == 265 and s.capture == pytest.approx(0.265)
    daily = [100, -50, 200]
    mean = sum(daily) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in daily) / 2)
    assert s.sharpe == pytest.approx(mean / sd * math.sqrt(365))
    assert s.sortino == pytest.approx(mean / math.sqrt(50**2 / 3) * math.sqrt(365))
    assert s.days == 3 and s.max_drawdown_wei == 50 and s.win_rate == pytest.approx(2 / 3)


def test_ratios_are_undefined_within_one_day():
    s = summarize([trade(5, 10)], blocks=3, first_ts=0, last_ts=100, optimum_gross_wei=0)
    assert (s.sharpe, s.sortino, s.capture) == (None, None, None)


def test_competition_is_reproducible_and_ordered_by_latency():
    fast, slow = Competition(latency_ms=10), Competition(latency_ms=400)
    assert fast.probability(seed=1) > 0.8 > 0.2 > slow.probability(seed=1)
    draws = [Competition().first(random.Random(7)) for _ in range(3)]
    assert len(set(draws)) == 1
    assert AlwaysFirst().first(random.Random(0)) is True
    assert Competition(rivals=0).probability() == 1.0


@pytest.mark.parametrize(
    "kwargs", [{"latency_ms": 0}, {"rival_latency_ms": -1}, {"rivals": -1}, {"sigma": 9}]
)
def test_bad_competition_settings_are_refused(kwargs):
    with pytest.raises(BacktestError):
        Competition(**kwargs)


def test_percentiles_are_exact_integers_nearest_rank():
    values = list(range(1, 101))
    assert percentiles(values) == {"p5": 5, "p25": 25, "p50": 50, "p75": 75, "p95": 95}
    assert percentiles([10**30 + 1]) == {q: 10**30 + 1 for q in ("p5", "p25", "p50", "p75", "p95")}
    assert percentiles([]) == {}
