"""Fixtures of the status-screen tests: a journal and a state file written by the real store
writer (``ui_scenario``), and apps whose clock and OS facts are frozen (deterministic pictures)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import ui_scenario
from ui_helpers import FACTS

from ui.app import StatusApp
from ui.source import StatusSource


@pytest.fixture
def scenario(tmp_path: Path) -> ui_scenario.Scenario:
    return ui_scenario.build(tmp_path)


@pytest.fixture
def make_source() -> Callable[..., StatusSource]:
    def make(sc: ui_scenario.Scenario, *, age_s: float = 1.0, **kwargs) -> StatusSource:
        kwargs.setdefault("daily_loss_limit", 10**17)
        kwargs.setdefault("facts", lambda: FACTS)
        return StatusSource(sc.state, sc.journal, clock=lambda: sc.now + age_s, **kwargs)

    return make


@pytest.fixture
def make_app(make_source) -> Callable[..., StatusApp]:
    def make(sc: ui_scenario.Scenario, *, age_s: float = 1.0, **kwargs) -> StatusApp:
        """``kiosk``, ``refresh_hz`` and ``view`` go to the app, the rest to the source."""
        app_kwargs = {k: kwargs.pop(k) for k in ("kiosk", "refresh_hz", "view") if k in kwargs}
        return StatusApp(make_source(sc, age_s=age_s, **kwargs), **app_kwargs)

    return make
