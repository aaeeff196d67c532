"""Breakers as rules (#22): one module per breaker behind one interface, loaded by name, saved by
name; an old saved state (today's format, ``risk_state_v1.json``, written by the breakers of the
previous release) still loads after an upgrade that added a breaker, tripped tiers included."""

from __future__ import annotations

import dataclasses
import json
import sys
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest

from appliance.config import RiskConfig
from appliance.modes import Mode
from appliance.risk import (
    BREAKER_NAMES,
    Breaker,
    Breakers,
    BreakerState,
    RiskEngine,
    RiskStateError,
    RiskStateFile,
    breaker_class,
)
from appliance.safety import SafetyLatch

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()
V1 = Path(__file__).with_name("risk_state_v1.json")
OPEN, CLOSED = BreakerState.OPEN, BreakerState.CLOSED


def cfg(**kw) -> RiskConfig:
    return dataclasses.replace(RiskConfig(), daily_loss_wei=10**17, max_drawdown_pct=10.0, **kw)


def test_every_breaker_is_a_module_loaded_by_name():
    for name in BREAKER_NAMES:
        cls = breaker_class(name)
        assert issubclass(cls, Breaker) and cls.name == name
        assert cls.__module__ == f"appliance.risk.breakers.{name}"
    for bad in ("nope", "../engine", "base"):
        with pytest.raises(ValueError):
            breaker_class(bad)


def test_a_saved_state_of_today_keeps_a_tripped_daily_and_drawdown_breaker(tmp_path):
    (tmp_path / "risk_state.json").write_text(V1.read_text())
    state = RiskStateFile.in_dir(tmp_path).load()
    assert json.loads(state.breakers)["version"] == 1  # the format of the previous release
    engine = RiskEngine(cfg(), latch=SafetyLatch(tmp_path), clock=lambda: T0 + 60, state=state)
    records = engine.startup_records()
    states = engine.breakers.states
    assert states["daily"] is OPEN and states["drawdown"] is OPEN
    assert states["session"] is CLOSED  # a clean stop: a new session
    assert states["gas"] is CLOSED and engine.breakers.fresh == ("gas",)  # new since: fresh
    assert engine.breakers.pnl_today == -2 * 10**17
    assert engine.breakers.equity_peak == 50 * 10**18
    assert engine.mode is Mode.PAUSED
    alerts = " ".join(getattr(r, "text", "") for r in records)
    assert "daily breaker open: restored: daily loss" in alerts
    assert "drawdown breaker open: restored: equity" in alerts
    engine.on_health(True, True)
    assert engine.mode is Mode.PAUSED  # synced, but the breakers hold it
    assert {"breaker:daily", "breaker:drawdown"} <= set(engine.modes.holds)
    # and it is saved again by name
    saved = json.loads(engine.persisted_state().breakers)
    assert saved["version"] == 2 and saved["breakers"]["daily"]["state"] == "open"


def test_by_name_round_trip_ignores_a_removed_breaker_and_starts_a_new_one_fresh():
    b = Breakers(cfg(), now=T0)
    b.record_trade(False, -2 * 10**17, T0)
    data = json.loads(b.to_json())
    data["breakers"]["retired"] = {"state": "open", "reason": "gone"}
    del data["breakers"]["gas"]
    restored = Breakers.from_json(json.dumps(data), cfg(), now=T0 + 1)
    assert restored.ignored == ("retired",) and restored.fresh == ("gas",)
    assert restored.states["daily"] is OPEN and restored.pnl_today == -2 * 10**17
    assert json.loads(restored.to_json())["breakers"]["daily"] == data["breakers"]["daily"]


def test_a_new_breaker_needs_no_edit_of_the_engine(monkeypatch):
    """A module with a BREAKER class is all it takes: here one that opens on any loss."""
    module = types.ModuleType("appliance.risk.breakers.anyloss")

    class AnyLoss(Breaker):
        name = "anyloss"

        def on_trade(self, success, pnl, now):
            return self.trip("a loss") if pnl < 0 else []

    module.BREAKER = AnyLoss
    monkeypatch.setitem(sys.modules, module.__name__, module)
    b = Breakers(cfg(), now=T0, names=(*BREAKER_NAMES, "anyloss"))
    [change] = b.record_trade(False, -1, T0)
    assert change.name == "anyloss" and b.states["anyloss"] is OPEN and b.any_open
    again = Breakers.from_json(b.to_json(), cfg(), now=T0, names=(*BREAKER_NAMES, "anyloss"))
    assert again.states["anyloss"] is OPEN and again.reasons["anyloss"] == "a loss"


@pytest.mark.parametrize(
    "patch",
    [
        {"daily": {"state": "open", "pnl": 1.5, "day": 1}},  # a float for wei
        {"daily": {"state": "open", "pnl": True, "day": 1}},  # a bool for wei
        {"daily": {"state": "open", "pnl": [1], "day": 1}},
        {"drawdown": {"state": "shut", "equity": None, "peak": "0"}},
        {"trade": {"state": "closed", "consecutive_failures": "2", "probe_successes": 0}},
        {"session": "open"},
    ],
)
def test_wrong_types_are_a_damaged_state(patch):
    data = json.loads(Breakers(cfg(), now=T0).to_json())
    data["breakers"].update(patch)
    with pytest.raises(RiskStateError, match="unreadable"):
        Breakers.from_json(json.dumps(data), cfg(), now=T0)


def test_the_gas_floor_opens_pauses_and_closes_by_itself(tmp_path):
    engine = RiskEngine(
        cfg(min_gas_balance_wei=10**16), latch=SafetyLatch(tmp_path), clock=lambda: T0
    )
    engine.startup_records()
    engine.on_health(True, True)
    assert engine.mode is Mode.NORMAL
    records = engine.on_inventory({}, gas_balance_wei=10**16 - 1)
    assert engine.breakers.states["gas"] is OPEN and engine.mode is Mode.PAUSED
    assert any(getattr(r, "key", "") == "breaker:gas" for r in records)  # the alert
    engine.on_inventory({}, gas_balance_wei=10**16)
    assert engine.breakers.states["gas"] is CLOSED and engine.mode is Mode.NORMAL


def test_a_damaged_state_holds_every_conservative_breaker_open_until_rebuilt(tmp_path):
    from appliance.risk import Rebuilt

    engine = RiskEngine(
        cfg(), latch=SafetyLatch(tmp_path), clock=lambda: T0, state_error="truncated"
    )
    engine.startup_records()
    engine.on_health(True, True)
    states = engine.breakers.states
    assert all(states[n] is OPEN for n in ("trade", "session", "daily", "drawdown"))
    assert states["gas"] is CLOSED  # it follows observations, not the saved state
    assert engine.mode is Mode.PAUSED and engine.size_caps() == {}
    assert engine.rebuild(None, "journal damaged")  # no figures: they stay open, alerted
    assert engine.mode is Mode.PAUSED and engine.damaged is not None
    engine.rebuild(Rebuilt(pnl_today=-(10**16), below_peak=10**18))
    assert not engine.breakers.any_open and engine.mode is Mode.NORMAL
    assert engine.breakers.pnl_today == -(10**16)
    # the drawdown peak follows the journal: the next valuation sits 1 WETH below it
    engine.on_inventory({}, equity=9 * 10**18)
    assert engine.breakers.equity_peak == 10 * 10**18
    assert engine.breakers.states["drawdown"] is OPEN  # 10 % below the rebuilt peak


def test_a_rebuilt_loss_beyond_the_limit_keeps_the_daily_breaker_open(tmp_path):
    from appliance.risk import Rebuilt

    engine = RiskEngine(cfg(), latch=SafetyLatch(tmp_path), clock=lambda: T0, state_error="x")
    engine.startup_records()
    engine.on_health(True, True)
    records = engine.rebuild(Rebuilt(pnl_today=-2 * 10**17))
    assert engine.breakers.states["daily"] is OPEN and engine.mode is Mode.PAUSED
    assert any("rebuilt from the journal" in getattr(r, "text", "") for r in records)
    assert [n for n, s in engine.breakers.states.items() if s is OPEN] == ["daily"]


def test_the_journal_rebuild_reads_today_and_refuses_a_damaged_journal(tmp_path):
    from appliance.config import AppConfig, ChainConfig, DexConfig, StorageConfig, TokensConfig
    from appliance.risk.rebuild import rebuild_from_journal

    app = AppConfig(
        chain=ChainConfig(chain_id=31337, rpc=("http://127.0.0.1:8545",)),
        dex=(DexConfig(name="uni", factory="0x" + "cc" * 20),),
        tokens=TokensConfig(base=("0x" + "11" * 20,)),
        storage=StorageConfig(data_dir=tmp_path, runtime_dir=tmp_path / "run"),
    )
    figures, error = rebuild_from_journal(app, T0)  # no journal: a first start, nothing lost
    assert error is None and figures.pnl_today == 0
    (tmp_path / "journal.sqlite").write_bytes(b"\x00garbage" * 512)
    figures, error = rebuild_from_journal(app, T0)
    assert figures is None and error  # the breakers then stay open (engine.rebuild(None, error))
