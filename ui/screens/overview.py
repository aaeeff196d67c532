"""View 1: the essentials on one page (chain, P&L, the latest opportunities and trades)."""

from __future__ import annotations

from textual.containers import Grid
from textual.widget import Widget

from ui.screens.base import StatusScreen
from ui.widgets.chain import ChainPanel
from ui.widgets.opportunities import OpportunitiesPanel
from ui.widgets.pnl import PnlPanel
from ui.widgets.trades import TradesPanel

__all__ = ["OverviewScreen"]


class OverviewScreen(StatusScreen):
    NAME = "overview"
    TITLE = "Overview"

    def body(self) -> list[Widget]:
        return [
            Grid(PnlPanel(classes="box"), ChainPanel(classes="box"), classes="pair"),
            OpportunitiesPanel(rows=5, classes="box"),
            TradesPanel(rows=5, classes="box"),
        ]
