"""View 2: opportunities and trades, as many as fit."""

from __future__ import annotations

from textual.widget import Widget

from ui.screens.base import StatusScreen
from ui.widgets.opportunities import OpportunitiesPanel
from ui.widgets.trades import TradesPanel

__all__ = ["TradingScreen"]


class TradingScreen(StatusScreen):
    NAME = "trading"
    TITLE = "Trading"

    def body(self) -> list[Widget]:
        return [
            OpportunitiesPanel(rows=20, classes="box half"),
            TradesPanel(rows=20, classes="box half"),
        ]
