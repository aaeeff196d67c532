"""Breakers open exactly at their thresholds, recover as documented, reset daily at the configured
UTC hour (injected clock) and survive a JSON round trip."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.config import RiskConfig
from appliance.risk import Breakers, BreakerState, RiskStateError, day_index

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()
OPEN, CLOSED, HALF = BreakerState.OPEN, BreakerState.CLOSED, BreakerState.HALF_OPEN


def cfg(**kw) -> RiskConfig:
    return dataclasses.replace(RiskConfig(), **kw)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 30), successes_between=st.lists(st.integers(1, 40), max_size=3))
def test_trade_breaker_opens_exactly_at_n_consecutive_failures(n, successes_between):
    b = Breakers(cfg(consecutive_failures=n), now=T0)
    # streaks broken by a success never open it
    for streak in successes_between:
        for _ in range(min(streak, n - 1)):
            assert b.record_trade(False, 0, T0) == []
        b.record_trade(True, 0, T0)
        assert b.states["trade"] is CLOSED
    for i in range(1, n + 1):
        changes = b.record_trade(False, -1, T0)
        if i < n:
            assert changes == [] and b.states["trade"] is CLOSED
        else:
            assert [(c.name, c.new) for c in changes] == [("trade", OPEN)]


@settings(max_examples=40, deadline=None)
@given(cooldown=st.floats(1, 3600), close_after=st.integers(1, 10))
def test_trade_breaker_half_opens_after_cooldown_and_closes_after_m_successes(
    cooldown, close_after
):
    b = Breakers(
        cfg(consecutive_failures=1, breaker_cooldown_s=cooldown, breaker_close_after=close_after),
        now=T0,
    )
    b.record_trade(False, 0, T0)
    assert b.states["trade"] is OPEN
    assert b.poll(T0 + cooldown * 0.999) == []
    assert b.states["trade"] is OPEN
    [change] = b.poll(T0 + cooldown)
    assert change.new is HALF
    # successes while half-open: closes at exactly M
    for i in range(1, close_after + 1):
        changes = b.record_trade(True, 1, T0 + cooldown)
        assert (b.states["trade"] is CLOSED) == (i == close_after)
        assert bool(changes) == (i == close_after)


def test_a_failed_probe_reopens_and_restarts_the_cooldown():
    b = Breakers(cfg(consecutive_failures=2, breaker_cooldown_s=60, breaker_close_after=2), now=T0)
    b.record_trade(False, 0, T0)
    b.record_trade(False, 0, T0)
    b.poll(T0 + 60)
    assert b.states["trade"] is HALF
    b.record_trade(True, 0, T0 + 61)
    [change] = b.record_trade(False, 0, T0 + 62)
    assert change.new is OPEN
    assert b.poll(T0 + 62 + 59) == []
    assert b.poll(T0 + 62 + 60)[0].new is HALF


@settings(max_examples=80, deadline=None)
@given(
    limit=st.integers(0, 10**20),
    losses=st.lists(st.integers(-(10**19), 10**19), min_size=1, max_size=12),
)
def test_session_and_daily_open_exactly_when_the_loss_reaches_the_limit(limit, losses):
    b = Breakers(cfg(session_loss_wei=limit, daily_loss_wei=limit), now=T0)
    total = 0
    for pnl in losses:
        total += pnl
        b.record_trade(True, pnl, T0)
        reached = total < 0 and -total >= limit
        if reached:
            assert b.states["session"] is OPEN and b.states["daily"] is OPEN
            return
        assert b.states["session"] is CLOSED and b.states["daily"] is CLOSED


@settings(max_examples=80, deadline=None)
@given(hour=st.integers(0, 23), start=st.integers(0, 10 * 86_400), delta=st.integers(1, 3 * 86_400))
def test_daily_reset_happens_at_the_configured_utc_hour(hour, start, delta):
    now0 = T0 + start
    b = Breakers(
        cfg(daily_loss_wei=100, session_loss_wei=10**30, daily_reset_hour_utc=hour), now=now0
    )
    b.record_trade(False, -100, now0)
    assert b.states["daily"] is OPEN
    later = now0 + delta
    # the first reset boundary after now0: the next time the UTC clock shows hour:00:00
    d0 = datetime.fromtimestamp(now0, UTC)
    boundary = d0.replace(hour=hour, minute=0, second=0, microsecond=0)
    if boundary.timestamp() <= now0:
        boundary = datetime.fromtimestamp(boundary.timestamp() + 86_400, UTC)
    changes = b.poll(later)
    if later < boundary.timestamp():
        assert changes == [] and b.states["daily"] is OPEN and b.pnl_today == -100
    else:
        assert [(c.name, c.new) for c in changes] == [("daily", CLOSED)]
        assert b.pnl_today == 0
        assert b.pnl_session == -100  # the session does not reset daily


def test_daily_reset_exactly_on_the_hour():
    hour = 7
    day = datetime(2026, 3, 2, 0, 0, tzinfo=UTC).timestamp()
    b = Breakers(cfg(daily_loss_wei=1, daily_reset_hour_utc=hour), now=day)
    b.record_trade(False, -5, day)
    assert b.poll(day + hour * 3600 - 0.001) == []
    assert b.poll(day + hour * 3600)[0].new is CLOSED
    assert day_index(day + hour * 3600, hour) == day_index(day, hour) + 1


@settings(max_examples=60, deadline=None)
@given(
    pct=st.floats(0.1, 100),
    start=st.integers(1, 10**22),
    moves=st.lists(st.integers(-(10**21), 10**21), min_size=1, max_size=15),
)
def test_drawdown_is_measured_from_the_peak_not_the_start(pct, start, moves):
    from fractions import Fraction

    b = Breakers(cfg(max_drawdown_pct=pct, session_loss_wei=10**40, daily_loss_wei=10**40), now=T0)
    b.observe_equity(start, T0)
    equity, peak = start, start
    for move in moves:
        equity += move
        peak = max(peak, equity)
        b.record_trade(True, move, T0)
        breached = (
            peak > 0 and Fraction(peak - equity) * 100 >= Fraction(pct) * peak and equity < peak
        )
        assert (b.states["drawdown"] is OPEN) == breached
        if breached:
            assert b.equity_peak == peak
            return


def test_drawdown_after_a_gain_uses_the_peak():
    b = Breakers(cfg(max_drawdown_pct=10.0), now=T0)
    b.observe_equity(1000, T0)
    b.record_trade(True, 1000, T0)  # peak 2000
    b.record_trade(True, -150, T0)  # 1850: -7.5% from peak, but still +85% from start
    assert b.states["drawdown"] is CLOSED
    [change] = b.record_trade(True, -50, T0)  # 1800: exactly -10% from the peak
    assert change.name == "drawdown" and change.new is OPEN
    b.reset("drawdown", "re-armed")
    assert b.states["drawdown"] is CLOSED and b.equity_peak == 1800


def test_json_round_trip_keeps_everything():
    c = cfg(consecutive_failures=2, daily_loss_wei=10, session_loss_wei=10**30)
    b = Breakers(c, now=T0)
    b.observe_equity(10**25, T0)
    b.record_trade(False, -(10**20), T0)
    b.record_trade(False, -(10**20), T0)
    assert b.states["trade"] is OPEN and b.states["daily"] is OPEN
    restored = Breakers.from_json(b.to_json(), c, now=T0 + 1)
    assert restored.to_json() == b.to_json()
    assert restored.pnl_today == -2 * 10**20 and restored.equity == 10**25 - 2 * 10**20


def test_new_session_clears_only_the_session_tier():
    c = cfg(session_loss_wei=5, daily_loss_wei=5)
    b = Breakers(c, now=T0)
    b.record_trade(False, -5, T0)
    assert b.states["session"] is OPEN and b.states["daily"] is OPEN
    restored = Breakers.from_json(b.to_json(), c, now=T0 + 10, new_session=True)
    assert restored.states["session"] is CLOSED and restored.pnl_session == 0
    assert restored.states["daily"] is OPEN and restored.pnl_today == -5


def test_daily_reset_while_off_applies_at_restore():
    c = cfg(daily_loss_wei=5, daily_reset_hour_utc=0)
    b = Breakers(c, now=T0)
    b.record_trade(False, -5, T0)
    restored = Breakers.from_json(b.to_json(), c, now=T0 + 86_400)
    assert restored.states["daily"] is CLOSED and restored.pnl_today == 0


@pytest.mark.parametrize(
    "text", ["", "{}", '{"version": 99}', "[1]", '{"version": 1, "states": {"trade": "bogus"}}']
)
def test_unreadable_state_raises_a_risk_state_error(text):
    with pytest.raises(RiskStateError, match="unreadable"):
        Breakers.from_json(text, RiskConfig(), now=T0)
