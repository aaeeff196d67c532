"""Snapshot tests (pytest-textual-snapshot) at 80x25 and 60x20 against store-written files.

The clock and the OS facts are frozen (``conftest.make_app``), the writer pid is this process
(alive) or a reaped one, and no pid or wall-clock time is drawn: the pictures are deterministic.
Update after a deliberate change with ``pytest tests/ui/test_ui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest
import ui_scenario
from ui_helpers import dead_pid, loaded

pytestmark = pytest.mark.timeout(120)

SIZES = {"80x25": (80, 25), "60x20": (60, 20)}


async def _ready(pilot) -> None:
    await loaded(pilot)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", ["overview", "trading", "health"])
def test_ui_snapshot_live(snap_compare, scenario, make_app, view, size):
    app = make_app(scenario, view=view)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_ready)


@pytest.mark.parametrize("size", SIZES)
def test_ui_snapshot_emergency(snap_compare, tmp_path, make_app, size):
    events = ui_scenario.scenario_events() + ui_scenario.emergency_events(ui_scenario.T0 + 2)
    sc = ui_scenario.build(tmp_path, events)
    assert snap_compare(make_app(sc), terminal_size=SIZES[size], run_before=_ready)


@pytest.mark.parametrize("size", SIZES)
def test_ui_snapshot_stale(snap_compare, scenario, make_app, size):
    app = make_app(scenario, age_s=42.0)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_ready)


@pytest.mark.parametrize("size", SIZES)
def test_ui_snapshot_not_running(snap_compare, tmp_path, make_app, size):
    sc = ui_scenario.build(tmp_path, pid=dead_pid())
    assert snap_compare(make_app(sc), terminal_size=SIZES[size], run_before=_ready)
