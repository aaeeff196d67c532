"""View 1: the essentials on one page (P&L and its sparklines, chain, the latest opportunities
and trades). Narrow screens leave the chain to the health view; the 3.5-inch display shows
the sparklines, opportunities and trades."""

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
            Grid(PnlPanel(classes="box"), ChainPanel(classes="box hide-narrow"), classes="pair"),
            OpportunitiesPanel(rows=30, classes="box rows"),
            TradesPanel(rows=30, classes="box rows"),
        ]
