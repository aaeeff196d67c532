"""View 3: RPC endpoints (with latency sparklines), risk, the board and the alerts raised.
On the 3.5-inch display: endpoints, breakers and daily loss, the latest alerts."""

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
            ChainPanel(history=True, classes="box"),
            Grid(RiskPanel(classes="box"), SystemPanel(classes="box hide-tiny"), classes="pair"),
            AlertsPanel(classes="box rows"),
        ]
