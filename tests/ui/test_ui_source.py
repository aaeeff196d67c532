"""StatusSource: liveness is decided honestly, and nothing is ever opened for writing."""

from __future__ import annotations

import sqlite3

import pytest
import ui_scenario
from ui_helpers import dead_pid

from appliance.modes import Mode
from ui.status import Liveness


def test_ui_source_live_values_come_from_the_store(scenario, make_source):
    with make_source(scenario) as source:
        status = source.load()
    assert status.liveness is Liveness.LIVE and status.liveness_detail == ""
    assert status.mode is Mode.NORMAL and not status.kill_switch and not status.fault
    assert status.head_block == 1011 and status.head_age_s == pytest.approx(13.0)
    # P&L: exactly the sum of the realized paper profits the events carried
    events = [e for _, e in ui_scenario.scenario_events() if type(e).__name__ == "TradeUpdated"]
    assert status.pnl_today == sum(e.value_ref for e in events) == status.pnl_7d
    assert status.equity[-1] == status.pnl_today and len(status.equity) == len(events)
    assert status.symbol == "WETH" and status.paper
    assert status.opportunities[0].path == "WETH>USDC>DAI>WETH"
    assert status.trades[0].tx_hash == events[-1].tx_hash
    assert [e.host for e in status.endpoints] == ["127.0.0.1:8545", "127.0.0.1:8546"]
    assert status.risk.breakers == {"trade": "closed", "daily_loss": "closed", "rpc": "closed"}
    assert (
        status.system.rss_bytes == 61_300_000
        and status.system.supervisor_uptime_s == 3 * 3600 + 126
    )


def test_ui_source_stale_and_dead_writer(tmp_path, scenario, make_source):
    with make_source(scenario, age_s=30.0) as source:
        stale = source.load()
    assert stale.liveness is Liveness.STALE and "NOT LIVE" in stale.liveness_detail
    assert stale.mode is Mode.NORMAL  # the last known mode, flagged by liveness
    sc = ui_scenario.build(tmp_path / "dead", pid=dead_pid())
    with make_source(sc, age_s=0.0) as source:
        dead = source.load()
    assert dead.liveness is Liveness.NOT_RUNNING
    assert "SUPERVISOR NOT RUNNING" in dead.liveness_detail


def test_ui_source_journal_only_and_nothing(tmp_path, scenario, make_source):
    scenario.state.unlink()
    with make_source(scenario) as source:
        status = source.load()
    assert status.liveness is Liveness.NOT_RUNNING and "no state file" in status.liveness_detail
    assert status.mode is Mode.NORMAL and status.head_block == 1011  # from the journal
    empty = ui_scenario.Scenario(tmp_path / "d", tmp_path / "r", 0.0)
    with make_source(empty) as source:
        assert source.load().liveness is Liveness.NO_DATA
    assert not (tmp_path / "d").exists() and not (tmp_path / "r").exists()


def test_ui_source_fault_from_leds_and_breakers(tmp_path, make_source):
    from appliance.events import LedsChanged

    events = [*ui_scenario.scenario_events(), (ui_scenario.T0, LedsChanged("off", "off", "fast"))]
    sc = ui_scenario.build(tmp_path, events)
    with make_source(sc) as source:
        status = source.load()
    assert status.fault and status.mode is Mode.NORMAL


def test_ui_source_cannot_write(scenario, make_source):
    source = make_source(scenario)
    source.load()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        source._journal.conn.execute("DELETE FROM trades")
    with pytest.raises(TypeError):
        source._state._mm[0] = 0  # mapped ACCESS_READ
    source.close()


def test_ui_source_survives_a_replaced_state_file(tmp_path, make_source):
    """A restarted supervisor writes a new file (rename): the source follows it."""
    recorder = ui_scenario.open_recorder(tmp_path / "data", tmp_path / "run")
    last = ui_scenario.feed(recorder, ui_scenario.scenario_events())
    recorder.state_writer.close()
    recorder.journal.close()
    sc = ui_scenario.Scenario(tmp_path / "data", tmp_path / "run", last)
    source = make_source(sc)
    assert source.load().mode is Mode.NORMAL
    again = ui_scenario.open_recorder(tmp_path / "data", tmp_path / "run")  # restart
    ui_scenario.feed(again, ui_scenario.emergency_events(last))
    assert source.load().mode is Mode.EMERGENCY
    again.state_writer.close()
    again.journal.close()
    source.close()


def test_ui_source_opportunity_rate_per_minute_from_the_journal(scenario, make_source):
    from ui.source import RATE_BUCKET_S, RATE_BUCKETS

    with make_source(scenario) as source:
        status = source.load()
    rate = status.opportunity_rate
    assert len(rate) == RATE_BUCKETS
    events = [e for _, e in ui_scenario.scenario_events() if type(e).__name__ == "CandidatesFound"]
    assert sum(rate) == sum(len(e.candidates) for e in events) == status.opportunities_total
    # bucket by bucket: the journal's own `at` stamps (the scenario's `now` of each event)
    now = scenario.now + 1.0
    first = (now // RATE_BUCKET_S - (RATE_BUCKETS - 1)) * RATE_BUCKET_S
    expected = [0] * RATE_BUCKETS
    for at, e in ui_scenario.scenario_events():
        if type(e).__name__ == "CandidatesFound":
            expected[int((at - first) // RATE_BUCKET_S)] += len(e.candidates)
    assert list(rate) == expected


def test_ui_source_latency_history_grows_with_each_publication(tmp_path, make_source):
    """One sample per new state-file publication (the writer's clock), dropped endpoints go."""
    from appliance.events import EndpointHealth, RpcHealthChanged

    recorder = ui_scenario.open_recorder(tmp_path / "data", tmp_path / "run")
    try:
        last = ui_scenario.feed(recorder, ui_scenario.scenario_events())
        sc = ui_scenario.Scenario(tmp_path / "data", tmp_path / "run", last)
        with make_source(sc, age_s=0.0) as source:
            first = dict(source.load().latency_history)
            assert first == {"127.0.0.1:8545": (3.2,), "127.0.0.1:8546": (41.0,)}
            assert dict(source.load().latency_history) == first  # same publication: no sample
            for i, ms in enumerate((5.0, 7.5)):
                health = RpcHealthChanged((EndpointHealth("127.0.0.1:8545", True, ms),))
                recorder.handle(health, now=last + 2 * (i + 1))
                recorder.publish(now=last + 2 * (i + 1))
                history = dict(source.load().latency_history)
            assert history == {"127.0.0.1:8545": (3.2, 5.0, 7.5)}
    finally:
        recorder.state_writer.close()
        recorder.journal.close()
