"""The mode state machine: holds, EMERGENCY via the latch, re-arm, startup restore."""

from __future__ import annotations

import pytest

from appliance.modes import Mode
from appliance.risk import ModeController, ModeTransitionError
from appliance.safety import SafetyLatch


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def latch(tmp_path):
    return SafetyLatch(tmp_path)


def test_holds_take_the_most_severe_and_release_independently(latch):
    m = ModeController(Mode.NORMAL, latch=latch, clock=Clock())
    ev = m.hold("breaker:trade-probe", Mode.REDUCED, "probing", "breaker")
    assert ev.old is Mode.NORMAL and ev.new is Mode.REDUCED and ev.source == "breaker"
    ev = m.hold("breaker:daily", Mode.PAUSED, "daily loss", "breaker")
    assert ev.new is Mode.PAUSED and ev.reason == "daily loss"
    assert m.release("breaker:trade-probe", "probe done", "breaker") is None  # still PAUSED
    ev = m.release("breaker:daily", "daily reset", "breaker")
    assert ev.old is Mode.PAUSED and ev.new is Mode.NORMAL
    assert m.release("never-held", "x", "y") is None


def test_a_hold_cannot_ask_for_emergency_or_normal(latch):
    m = ModeController(latch=latch)
    for bad in (Mode.EMERGENCY, Mode.NORMAL):
        with pytest.raises(ModeTransitionError, match="REDUCED or PAUSED"):
            m.hold("x", bad, "r", "s")


def test_the_latch_tripped_elsewhere_means_emergency_and_only_rearm_leaves(latch):
    clock = Clock()
    m = ModeController(Mode.NORMAL, latch=latch, clock=clock)
    latch.trip("GPIO17 pressed", "kill_switch")  # the hw thread
    ev = m.sync_latch()
    assert ev.new is Mode.EMERGENCY and ev.source == "kill_switch" and "GPIO17" in ev.reason
    assert m.sync_latch() is None
    # nothing but re-arm leaves EMERGENCY
    assert m.on_health(True, True) is None
    assert m.release("await-health", "x", "health") is None
    m.hold("breaker:daily", Mode.PAUSED, "x", "breaker")
    m.release("breaker:daily", "x", "breaker")
    assert m.mode is Mode.EMERGENCY
    ev = m.rearm()
    assert ev.old is Mode.EMERGENCY and ev.new is Mode.PAUSED and ev.source == "rearm"
    assert not latch.tripped
    ev = m.on_health(synced=True, healthy=True)
    assert ev.new is Mode.NORMAL and ev.source == "health"


def test_latch_rearmed_directly_by_the_box_is_a_rearm(latch):
    m = ModeController(latch=latch)
    m.emergency("SIGUSR1", "kill_switch")
    assert latch.tripped and m.mode is Mode.EMERGENCY
    latch.rearm()  # the hardware long-hold path
    ev = m.sync_latch()
    assert ev.new is Mode.PAUSED and ev.source == "rearm"


def test_rearm_outside_emergency_changes_nothing(latch):
    m = ModeController(latch=latch)
    assert m.rearm() is None and m.mode is Mode.NORMAL


def test_health_pauses_and_resumes(latch):
    m = ModeController(latch=latch)
    ev = m.on_health(synced=False, healthy=True)
    assert ev.new is Mode.PAUSED and ev.reason == "chain not synced"
    assert m.on_health(synced=False, healthy=True) is None  # no duplicate audit rows
    ev = m.on_health(synced=True, healthy=True)
    assert ev.new is Mode.NORMAL


@pytest.mark.parametrize(
    ("last", "clean", "expected"),
    [
        (Mode.NORMAL, True, Mode.NORMAL),
        (Mode.REDUCED, True, Mode.REDUCED),
        (Mode.PAUSED, True, Mode.PAUSED),
        (Mode.NORMAL, False, Mode.PAUSED),
        (Mode.REDUCED, False, Mode.PAUSED),
        (None, True, Mode.PAUSED),
    ],
)
def test_restore(latch, last, clean, expected):
    m = ModeController.restore(last, clean, latch, clock=Clock())
    assert m.mode is expected
    ev = m.startup_event
    assert ev.source == "startup" and ev.new is expected and ev.reason
    if expected is not Mode.NORMAL:
        ev = m.on_health(synced=True, healthy=True)
        assert ev.new is Mode.NORMAL


def test_unclean_restore_waits_for_synced_and_healthy(latch):
    m = ModeController.restore(Mode.NORMAL, False, latch)
    assert m.on_health(synced=True, healthy=False) is None  # already PAUSED: no new row
    assert m.mode is Mode.PAUSED
    m.on_health(synced=False, healthy=True)
    assert m.mode is Mode.PAUSED
    assert m.on_health(synced=True, healthy=True).new is Mode.NORMAL


def test_emergency_survives_restart_even_without_the_latch_file(tmp_path):
    latch = SafetyLatch(tmp_path)
    m = ModeController.restore(Mode.EMERGENCY, True, latch)
    assert m.mode is Mode.EMERGENCY
    assert latch.tripped and SafetyLatch(tmp_path).tripped  # re-tripped, durable
    assert m.on_health(True, True) is None and m.mode is Mode.EMERGENCY


def test_a_tripped_latch_wins_over_the_last_mode(tmp_path):
    SafetyLatch(tmp_path).trip("pressed before power loss", "kill_switch")
    latch = SafetyLatch(tmp_path)  # a new process
    m = ModeController.restore(Mode.NORMAL, True, latch)
    assert m.mode is Mode.EMERGENCY and "pressed before power loss" in m.startup_event.reason
