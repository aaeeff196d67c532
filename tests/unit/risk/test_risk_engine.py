"""The RiskEngine end to end without Trio: breaker stops approvals within the block, the daily
loss stops trading, and a restart (persisted state) keeps both."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from appliance.config import RiskConfig
from appliance.events import (
    AlertRaised,
    BlockSeen,
    Candidate,
    CandidatesFound,
    Leg,
    ModeChanged,
    OrderRejected,
    Priority,
    RiskUpdated,
    TradeStatus,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.risk import RiskEngine, RiskStateFile
from appliance.safety import SafetyLatch

BASE = "0x" + "11" * 20
MID = "0x" + "22" * 20
POOLS = ["0x" + f"{i:02x}" * 20 for i in range(1, 40)]
ETH = 10**18
GWEI = 10**9


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def cfg(**kw) -> RiskConfig:
    base = dict(max_pending_trades=10, max_orders_per_block=10, max_pool_exposure_pct=25.0)
    base.update(kw)
    return dataclasses.replace(RiskConfig(), **base)


def cand(block: int, i: int = 0, amount_in: int = ETH // 10, profit: int = ETH // 100) -> Candidate:
    p1, p2 = POOLS[2 * i % len(POOLS)], POOLS[(2 * i + 1) % len(POOLS)]
    return Candidate(
        block=block,
        legs=(Leg(p1, BASE, MID, 30), Leg(p2, MID, BASE, 30)),
        base_token=BASE,
        amount_in=amount_in,
        amount_out=amount_in + profit,
        gas_estimate=150_000,
        gas_cost=ETH // 10_000,
    )


def block(n: int) -> BlockSeen:
    return BlockSeen(
        number=n, hash=f"0x{n:064x}", parent_hash=f"0x{n - 1:064x}", timestamp=0, base_fee=GWEI
    )


def make_engine(tmp_path, clock, *, state=None, config=None, inventory=None, flash=False):
    latch = SafetyLatch(tmp_path)
    engine = RiskEngine(
        config or cfg(),
        latch=latch,
        clock=clock,
        monotonic=lambda: 100.0,
        tip_wei=GWEI,
        state=state,
        inventory=inventory if inventory is not None else {BASE: 100 * ETH},
        equity_token=BASE,
        flash=flash,
    )
    engine.startup_records()
    engine.on_health(synced=True, healthy=True)
    return engine, latch


def revert(order_id: str) -> TradeUpdated:
    return TradeUpdated(
        order_id=order_id,
        status=TradeStatus.REVERTED,
        mode=Mode.NORMAL,
        gas_cost=ETH // 1000,
        reason="front-run",
    )


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()


def test_five_reverts_open_the_trade_breaker_and_stop_approvals_in_the_same_block(tmp_path):
    clock = Clock(T0)
    engine, _ = make_engine(tmp_path, clock)
    assert engine.mode is Mode.NORMAL
    engine.on_block(block(10))
    # the executor sends one order at a time; each is front-run and reverts
    records = []
    for i in range(5):
        orders, recs = engine.on_candidates(CandidatesFound(10, (cand(10, i),), seen_at=100.0))
        assert len(orders) == 1, recs
        records += engine.on_trade(revert(orders[0].order_id))
    alerts = [r for r in records if isinstance(r, AlertRaised)]
    assert [(a.key, a.priority) for a in alerts] == [("breaker:trade", Priority.CRITICAL)]
    modes = [r for r in records if isinstance(r, ModeChanged)]
    assert [(m.new, m.source) for m in modes] == [(Mode.PAUSED, "breaker")]
    # same block, more candidates: nothing is approved, each refusal is named
    orders, recs = engine.on_candidates(
        CandidatesFound(10, tuple(cand(10, i) for i in range(5, 9)), seen_at=100.0)
    )
    assert orders == []
    assert {r.reason for r in recs if isinstance(r, OrderRejected)} == {"breaker_open"}
    assert engine.size_caps() == {BASE: 0}
    snap = [r for r in records if isinstance(r, RiskUpdated)][-1]
    assert snap.breakers["trade"] == "open" and snap.pnl_session == -5 * ETH // 1000


def test_the_fourth_revert_does_not_open_it(tmp_path):
    engine, _ = make_engine(tmp_path, Clock(T0))
    engine.on_block(block(10))
    for i in range(4):
        orders, _ = engine.on_candidates(CandidatesFound(10, (cand(10, i),), seen_at=100.0))
        engine.on_trade(revert(orders[0].order_id))
    orders, _ = engine.on_candidates(CandidatesFound(10, (cand(10, 7),), seen_at=100.0))
    assert len(orders) == 1 and engine.breakers.states["trade"] == "closed"


def test_half_open_trades_reduced_then_closes(tmp_path):
    clock = Clock(T0)
    engine, _ = make_engine(
        tmp_path,
        clock,
        config=cfg(consecutive_failures=1, breaker_cooldown_s=60, breaker_close_after=1),
    )
    engine.on_block(block(10))
    orders, _ = engine.on_candidates(CandidatesFound(10, (cand(10),), seen_at=100.0))
    engine.on_trade(revert(orders[0].order_id))
    assert engine.mode is Mode.PAUSED
    clock.t += 60
    records = engine.tick()
    assert engine.mode is Mode.REDUCED and engine.size_multiplier == 0.5
    assert any(isinstance(r, AlertRaised) and r.priority is Priority.WARNING for r in records)
    engine.on_block(block(11))
    orders, _ = engine.on_candidates(CandidatesFound(11, (cand(11),), seen_at=100.0))
    assert orders and orders[0].mode is Mode.REDUCED
    engine.on_trade(
        TradeUpdated(
            orders[0].order_id,
            TradeStatus.MINED,
            Mode.REDUCED,
            realized_profit=ETH // 100,
            gas_cost=ETH // 10_000,
        )
    )
    assert engine.mode is Mode.NORMAL and engine.breakers.states["trade"] == "closed"


def test_daily_loss_stops_trading_until_the_reset_hour(tmp_path):
    clock = Clock(datetime(2026, 3, 1, 22, 0, tzinfo=UTC).timestamp())
    engine, _ = make_engine(
        tmp_path,
        clock,
        config=cfg(daily_loss_wei=ETH // 100, session_loss_wei=ETH, daily_reset_hour_utc=6),
    )
    engine.on_block(block(10))
    orders, _ = engine.on_candidates(CandidatesFound(10, (cand(10),), seen_at=100.0))
    loss = TradeUpdated(
        orders[0].order_id,
        TradeStatus.MINED,
        Mode.NORMAL,
        realized_profit=-(ETH // 100),
        gas_cost=0,
    )
    records = engine.on_trade(loss)
    assert engine.mode is Mode.PAUSED and engine.breakers.states["daily"] == "open"
    assert any(isinstance(r, AlertRaised) and r.key == "breaker:daily" for r in records)
    engine.on_block(block(11))
    orders, recs = engine.on_candidates(CandidatesFound(11, (cand(11),), seen_at=100.0))
    assert not orders and recs[0].reason == "breaker_open"
    clock.t = datetime(2026, 3, 2, 5, 59, 59, tzinfo=UTC).timestamp()
    engine.tick()
    assert engine.mode is Mode.PAUSED
    clock.t = datetime(2026, 3, 2, 6, 0, tzinfo=UTC).timestamp()
    records = engine.tick()
    assert engine.mode is Mode.NORMAL and engine.breakers.pnl_today == 0
    assert [r.new for r in records if isinstance(r, ModeChanged)] == [Mode.NORMAL]


def test_restart_keeps_the_open_trade_breaker_and_the_daily_loss(tmp_path):
    clock = Clock(T0)
    config = cfg(daily_loss_wei=5 * ETH // 1000, session_loss_wei=ETH)
    engine, _ = make_engine(tmp_path, clock, config=config)
    engine.on_block(block(10))
    for i in range(5):
        orders, _ = engine.on_candidates(CandidatesFound(10, (cand(10, i),), seen_at=100.0))
        if orders:
            engine.on_trade(revert(orders[0].order_id))
    assert engine.breakers.states["trade"] == "open" and engine.breakers.states["daily"] == "open"
    store = RiskStateFile.in_dir(tmp_path)
    store.save(engine.persisted_state(clean_shutdown=False))  # then the process dies

    clock.t += 10
    loaded = store.load()
    assert loaded.mode is Mode.PAUSED and not loaded.clean_shutdown
    again = RiskEngine(
        config,
        latch=SafetyLatch(tmp_path),
        clock=clock,
        monotonic=lambda: 100.0,
        state=loaded,
        inventory={BASE: 100 * ETH},
    )
    startup = again.startup_records()
    assert again.mode is Mode.PAUSED
    assert startup[0].source == "startup"
    again.on_health(synced=True, healthy=True)  # healthy chain does not lift the breakers
    assert again.mode is Mode.PAUSED
    assert again.breakers.states["trade"] == "open" and again.breakers.states["daily"] == "open"
    again.on_block(block(11))
    orders, recs = again.on_candidates(CandidatesFound(11, (cand(11),), seen_at=100.0))
    assert not orders and recs[0].reason == "breaker_open"


def test_clean_restart_restores_normal_and_starts_a_new_session(tmp_path):
    clock = Clock(T0)
    config = cfg(session_loss_wei=ETH // 1000)
    engine, _ = make_engine(tmp_path, clock, config=config)
    engine.on_block(block(10))
    orders, _ = engine.on_candidates(CandidatesFound(10, (cand(10),), seen_at=100.0))
    engine.on_trade(revert(orders[0].order_id))
    assert engine.breakers.states["session"] == "open"
    state = engine.persisted_state(clean_shutdown=True)
    again = RiskEngine(
        config,
        latch=SafetyLatch(tmp_path),
        clock=clock,
        state=dataclasses.replace(state, mode=Mode.NORMAL),
    )
    assert again.breakers.states["session"] == "closed" and again.mode is Mode.NORMAL


def test_corrupt_state_starts_paused_with_a_critical_alert(tmp_path):
    (tmp_path / "risk_state.json").write_text("{not json")
    from appliance.risk import RiskStateError

    with pytest.raises(RiskStateError):
        RiskStateFile.in_dir(tmp_path).load()
    engine = RiskEngine(RiskConfig(), latch=SafetyLatch(tmp_path), state_error="bad json")
    records = engine.startup_records()
    assert engine.mode is Mode.PAUSED
    assert any(
        isinstance(r, AlertRaised) and r.priority is Priority.CRITICAL and r.key == "risk:state"
        for r in records
    )


def test_kill_switch_wins_between_decisions(tmp_path):
    engine, latch = make_engine(tmp_path, Clock(T0))
    engine.on_block(block(10))
    latch.trip("GPIO", "kill_switch")  # from the hw thread, no message to risk
    orders, recs = engine.on_candidates(CandidatesFound(10, (cand(10),), seen_at=100.0))
    assert not orders
    assert any(isinstance(r, ModeChanged) and r.new is Mode.EMERGENCY for r in recs)
    assert [r.reason for r in recs if isinstance(r, OrderRejected)] == ["kill_switch"]
    # re-arm on the box: PAUSED, then NORMAL on health
    latch.rearm()
    engine.tick()
    assert engine.mode is Mode.PAUSED
    engine.on_health(True, True)
    assert engine.mode is Mode.NORMAL


def test_rearm_clears_session_and_drawdown(tmp_path):
    engine, latch = make_engine(
        tmp_path, Clock(T0), config=cfg(max_drawdown_pct=1.0, session_loss_wei=ETH)
    )
    engine.on_inventory({BASE: 100 * ETH})
    engine.on_inventory({BASE: 98 * ETH})
    assert engine.breakers.states["drawdown"] == "open" and engine.mode is Mode.PAUSED
    engine.kill("SIGUSR1")
    assert engine.mode is Mode.EMERGENCY
    records = engine.rearm()  # the latch is still tripped: ignored
    assert engine.mode is Mode.EMERGENCY
    assert any(isinstance(r, AlertRaised) and r.key == "risk:rearm" for r in records)
    latch.rearm()  # the box's long hold
    engine.rearm()
    assert engine.mode is Mode.PAUSED
    assert (
        engine.breakers.states["drawdown"] == "closed" and engine.breakers.equity_peak == 98 * ETH
    )
    engine.on_health(True, True)
    assert engine.mode is Mode.NORMAL


def test_orders_per_block_and_pending_limits(tmp_path):
    engine, _ = make_engine(
        tmp_path, Clock(T0), config=cfg(max_orders_per_block=2, max_pending_trades=3)
    )
    engine.on_block(block(10))
    orders, recs = engine.on_candidates(
        CandidatesFound(10, tuple(cand(10, i) for i in range(4)), seen_at=100.0)
    )
    assert len(orders) == 2 and [r.reason for r in recs] == ["orders_per_block"] * 2
    assert len({o.order_id for o in orders}) == 2
    engine.on_block(block(11))
    orders, recs = engine.on_candidates(
        CandidatesFound(11, tuple(cand(11, i) for i in range(4, 8)), seen_at=100.0)
    )
    assert len(orders) == 1 and [r.reason for r in recs] == ["max_pending"] * 3


def test_size_caps_follow_mode_regime_and_kelly(tmp_path):
    config = cfg(
        max_trade_wei=10 * ETH,
        max_trade_pct_inventory=10.0,
        kelly_min_trades=4,
        kelly_fraction=0.5,
        kelly_cap_pct=5.0,
    )
    engine, _ = make_engine(tmp_path, Clock(T0), config=config, inventory={BASE: 100 * ETH})
    assert engine.size_caps() == {BASE: 10 * ETH}
    # high volatility regime: x0.25
    price = 1.0
    for i in range(10):
        price *= 1.1 if i % 2 else 0.9
        engine.on_prices({MID: price})
    assert engine.regime == "high" and engine.size_caps() == {BASE: 10 * ETH // 4}
    assert engine.snapshot().size_multiplier == 0.25
    # Kelly after enough trades (p = 0.75, b = 2 -> f* = 0.625 -> 0.3125 -> capped at 5 %)
    engine.on_block(block(10))
    for i, pnl in enumerate([2, 2, 2, -1]):
        engine.on_trade(
            TradeUpdated(f"x{i}", TradeStatus.MINED, Mode.NORMAL, net_profit=pnl * ETH // 1000)
        )
    assert engine.kelly_bet == pytest.approx(0.05)
    assert engine.size_caps()[BASE] == min(10 * ETH // 4, 100 * ETH * 5 // 100)


def test_correlated_holdings_shrink_exposure(tmp_path):
    other = "0x" + "44" * 20
    engine, _ = make_engine(tmp_path, Clock(T0), inventory={BASE: 100 * ETH, other: 100 * ETH})
    a = 1.0
    for i in range(20):
        a *= 1.001 if i % 3 else 0.998
        engine.on_prices({BASE: a, other: a * 2})
    assert engine.exposure_scale[BASE] == pytest.approx(0.5)
    assert engine.context().exposure_scale[BASE] == pytest.approx(0.5)


def test_paper_and_dropped_results(tmp_path):
    engine, _ = make_engine(tmp_path, Clock(T0), config=cfg(consecutive_failures=2))
    engine.on_trade(TradeUpdated("a", TradeStatus.DROPPED, Mode.NORMAL))
    engine.on_trade(
        TradeUpdated(
            "b", TradeStatus.PAPER, Mode.NORMAL, expected_profit=5, reason="simulation reverted"
        )
    )
    assert engine.breakers.states["trade"] == "open" and engine.breakers.pnl_session == 0
    engine2, _ = make_engine(tmp_path / "2", Clock(T0))
    engine2.on_trade(
        TradeUpdated("c", TradeStatus.PAPER, Mode.NORMAL, expected_profit=5, gas_cost=2)
    )
    assert engine2.breakers.pnl_session == 3 and engine2.breakers.consecutive_failures == 0


def test_inventory_var(tmp_path):
    engine, _ = make_engine(tmp_path, Clock(T0))
    for v in [100, 90, 95, 80, 85, 70]:
        engine.on_inventory({BASE: v * ETH})
    assert engine.inventory_risk.var95 == pytest.approx(15 * ETH)


def test_a_lost_result_stops_counting_as_pending_after_the_timeout(tmp_path):
    clock = Clock(T0)
    latch = SafetyLatch(tmp_path)
    engine = RiskEngine(
        cfg(max_pending_trades=1, max_orders_per_block=1),
        latch=latch,
        clock=clock,
        monotonic=lambda: 100.0,
        inventory={BASE: 100 * ETH},
        pending_timeout_s=90,
    )
    engine.on_health(True, True)
    engine.on_block(block(10))
    orders, _ = engine.on_candidates(CandidatesFound(10, (cand(10),), seen_at=100.0))
    assert orders
    engine.on_block(block(11))
    _, recs = engine.on_candidates(CandidatesFound(11, (cand(11),), seen_at=100.0))
    assert recs[0].reason == "max_pending"
    clock.t += 90
    records = engine.tick()
    assert any(isinstance(r, AlertRaised) and r.key.startswith("risk:pending:") for r in records)
    orders, _ = engine.on_candidates(CandidatesFound(11, (cand(11, 1),), seen_at=100.0))
    assert len(orders) == 1


def test_supervisor_holds(tmp_path):
    engine, _ = make_engine(tmp_path, Clock(T0))
    [event] = [
        r
        for r in engine.hold("crashes:market", Mode.PAUSED, "market crashed 3x")
        if isinstance(r, ModeChanged)
    ]
    assert event.new is Mode.PAUSED and event.source == "supervisor"
    engine.on_health(True, True)
    assert engine.mode is Mode.PAUSED
    engine.release("crashes:market", "market stable")
    assert engine.mode is Mode.NORMAL


def test_breakers_count_value_ref_across_base_tokens(tmp_path):
    """A WETH and a USDC trade: the daily and session P&L are the exact sum of their values in
    the reference token, not WETH wei plus USDC wei (the USDC profit alone is 5e9 'wei')."""
    usdc = "0x" + "33" * 20
    clock = Clock(T0)
    engine, _ = make_engine(
        tmp_path, clock, config=cfg(daily_loss_wei=ETH // 100, session_loss_wei=ETH)
    )
    weth_value = 2 * ETH // 1000 - ETH // 10_000
    engine.on_trade(
        TradeUpdated(
            "w",
            TradeStatus.MINED,
            Mode.NORMAL,
            realized_profit=2 * ETH // 1000,
            gas_cost=ETH // 10_000,
            base_token=BASE,
            value_ref=weth_value,
        )
    )
    usdc_value = -(ETH // 50)  # a loss worth 0.02 WETH: more than the daily limit on its own
    engine.on_trade(
        TradeUpdated(
            "u",
            TradeStatus.MINED,
            Mode.NORMAL,
            realized_profit=5 * 10**9,  # +5000 USDC in its own unit: must not count as wei
            gas_cost=ETH // 10_000,
            net_profit=5 * 10**9 - 300_000,
            base_token=usdc,
            value_ref=usdc_value,
        )
    )
    assert engine.breakers.pnl_today == weth_value + usdc_value
    assert engine.breakers.pnl_session == weth_value + usdc_value
    assert engine.breakers.states["daily"] == "open" and engine.mode is Mode.PAUSED
    # inventory is booked per the trade's own base token, in its own unit
    assert engine._inventory[usdc] == 5 * 10**9
    assert engine._inventory[BASE] == 100 * ETH + 2 * ETH // 1000


def test_updates_without_value_ref_keep_the_old_accounting(tmp_path):
    engine, _ = make_engine(tmp_path, Clock(T0))
    engine.on_trade(
        TradeUpdated("m", TradeStatus.MINED, Mode.NORMAL, realized_profit=100, gas_cost=30)
    )
    assert engine.breakers.pnl_session == 70


def test_flash_funding_trades_with_an_empty_executor(tmp_path):
    config = cfg(max_trade_wei=2 * ETH)
    engine, _ = make_engine(tmp_path, Clock(T0), config=config, inventory={BASE: 0}, flash=True)
    assert engine.size_caps() == {BASE: 2 * ETH}
    engine.on_block(block(10))
    orders, recs = engine.on_candidates(CandidatesFound(10, (cand(10, 0),), seen_at=100.0))
    assert len(orders) == 1, recs
    held, _ = make_engine(tmp_path / "held", Clock(T0), config=config, inventory={BASE: 0})
    assert held.size_caps() == {BASE: 0}


def test_a_fill_reported_again_after_a_restart_counts_once(tmp_path):
    """The executor reconciles from the chain, after a restart, a trade whose final row the
    journal could not take, and reports its result again: the restarted engine, restored from
    the saved risk state whose P&L already counted it, must not count it twice (#23)."""
    clock = Clock(T0)
    config = cfg(daily_loss_wei=ETH, session_loss_wei=ETH)
    engine, _ = make_engine(tmp_path, clock, config=config)
    engine.on_block(block(10))
    orders, _ = engine.on_candidates(CandidatesFound(10, (cand(10),), seen_at=100.0))
    engine.on_trade(revert(orders[0].order_id))
    counted = engine.breakers.pnl_today
    assert counted == -(ETH // 1000)
    store = RiskStateFile.in_dir(tmp_path)
    store.save(engine.persisted_state(clean_shutdown=False))  # then the process dies

    again = RiskEngine(config, latch=SafetyLatch(tmp_path), clock=clock, state=store.load())
    assert again.breakers.pnl_today == counted
    again.on_trade(revert(orders[0].order_id))  # the same result, reconciled after the restart
    assert again.breakers.pnl_today == counted
    again.on_trade(revert("another-order"))  # a new result still counts
    assert again.breakers.pnl_today == 2 * counted


def test_a_risk_state_saved_before_the_settled_ids_still_loads(tmp_path):
    from appliance.risk.errors import RiskStateError
    from appliance.risk.state import RiskState

    old = '{"mode": "NORMAL", "clean_shutdown": true, "breakers": null, "saved_at": 1.0}'
    assert RiskState.from_json(old).settled == ()
    with pytest.raises(RiskStateError, match="settled must be a list"):
        RiskState.from_json(old[:-1] + ', "settled": 7}')
