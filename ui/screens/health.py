"""View 3: risk, the board, RPC endpoints and recent alerts."""

from __future__ import annotations

from textual.containers import Grid
from textual.widget import Widget

from ui.screens.base import StatusScreen
from ui.widgets.alerts import AlertsPanel
from ui.widgets.chain import ChainPanel
from ui.widgets.risk import RiskPanel
from ui.widgets.system import SystemPanel

__all__ = ["HealthScreen"]


class HealthScreen(StatusScreen):
    NAME = "health"
    TITLE = "Health"

    def body(self) -> list[Widget]:
        return [
            Grid(RiskPanel(classes="box"), SystemPanel(classes="box"), classes="pair"),
            ChainPanel(classes="box"),
            AlertsPanel(classes="box"),
        ]
