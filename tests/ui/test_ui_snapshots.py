"""Snapshot tests (pytest-textual-snapshot) of every view at 40x12 (the 3.5-inch display), 80x24
and 120x40, the help overlay, and the not-live states, against store-written files.

The clock and the OS facts are frozen (``conftest.make_app``), the writer pid is this process
(alive) or a reaped one, and no pid or wall-clock time is drawn: the pictures are deterministic.
Update after a deliberate change with ``pytest tests/ui/test_ui_snapshots.py --snapshot-update``
and look at the pictures (``tests/ui/__snapshots__/``) before committing them.
"""

from __future__ import annotations

import pytest
import ui_scenario
from ui_helpers import dead_pid, loaded

pytestmark = pytest.mark.timeout(120)

SIZES = {"40x12": (40, 12), "80x24": (80, 24), "120x40": (120, 40)}
SMALL = {k: SIZES[k] for k in ("40x12", "80x24")}


async def _ready(pilot) -> None:
    await loaded(pilot)


async def _help(pilot) -> None:
    await loaded(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", ["overview", "trading", "health"])
def test_ui_snapshot_live(snap_compare, scenario, make_app, view, size):
    app = make_app(scenario, view=view)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_ready)


@pytest.mark.parametrize("size", SMALL)
def test_ui_snapshot_help(snap_compare, tmp_path, make_app, size):
    sc = ui_scenario.build(tmp_path, pid=1)  # the help names the pid to signal: a fixed live one
    assert snap_compare(make_app(sc), terminal_size=SMALL[size], run_before=_help)


@pytest.mark.parametrize("size", SMALL)
@pytest.mark.parametrize("view", ["overview", "health"])
def test_ui_snapshot_emergency(snap_compare, tmp_path, make_app, view, size):
    events = ui_scenario.scenario_events() + ui_scenario.emergency_events(ui_scenario.T0 + 2)
    sc = ui_scenario.build(tmp_path, events)
    assert snap_compare(make_app(sc, view=view), terminal_size=SMALL[size], run_before=_ready)


@pytest.mark.parametrize("size", SMALL)
def test_ui_snapshot_fault(snap_compare, tmp_path, make_app, size):
    events = ui_scenario.scenario_events() + ui_scenario.fault_events(ui_scenario.T0 + 1)
    sc = ui_scenario.build(tmp_path, events)
    app = make_app(sc, view="health")
    assert snap_compare(app, terminal_size=SMALL[size], run_before=_ready)


@pytest.mark.parametrize("size", SMALL)
def test_ui_snapshot_stale(snap_compare, scenario, make_app, size):
    app = make_app(scenario, age_s=42.0)
    assert snap_compare(app, terminal_size=SMALL[size], run_before=_ready)


@pytest.mark.parametrize("size", SMALL)
def test_ui_snapshot_not_running(snap_compare, tmp_path, make_app, size):
    sc = ui_scenario.build(tmp_path, pid=dead_pid())
    assert snap_compare(make_app(sc), terminal_size=SMALL[size], run_before=_ready)


@pytest.mark.parametrize("size", SMALL)
def test_ui_snapshot_empty_journal(snap_compare, tmp_path, make_app, size):
    """A supervisor that just started: nothing journaled yet, every panel says so in full."""
    sc = ui_scenario.build(tmp_path, ui_scenario.scenario_events(blocks=1))
    assert snap_compare(make_app(sc, view="trading"), terminal_size=SMALL[size], run_before=_ready)
