"""The views of the status screen, one Screen each; all share the banner and the summary line."""

from __future__ import annotations

from ui.screens.base import StatusScreen
from ui.screens.health import HealthScreen
from ui.screens.overview import OverviewScreen
from ui.screens.trading import TradingScreen

__all__ = ["VIEWS", "HealthScreen", "OverviewScreen", "StatusScreen", "TradingScreen"]

VIEWS: dict[str, type[StatusScreen]] = {
    "overview": OverviewScreen,
    "trading": TradingScreen,
    "health": HealthScreen,
}
