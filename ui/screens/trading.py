"""View 2: opportunities and trades, as many as fit (newest first; the rest are cropped), and
the market (others' arbitrages, our capture rate, why nothing traded: ``widgets/market.py``)."""

from __future__ import annotations

from textual.widget import Widget

from ui.screens.base import StatusScreen
from ui.widgets.market import MarketPanel
from ui.widgets.opportunities import OpportunitiesPanel
from ui.widgets.trades import TradesPanel

__all__ = ["TradingScreen"]


class TradingScreen(StatusScreen):
    NAME = "trading"
    TITLE = "Trading"

    def body(self) -> list[Widget]:
        return [
            OpportunitiesPanel(rows=40, classes="box rows"),
            TradesPanel(rows=40, classes="box rows"),
            MarketPanel(classes="box"),
        ]
