"""Widgets of the status screen, one per file, grouped by screen region.

Each is a :class:`~ui.widgets.panel.StatusPanel`: it watches ``app.status`` and renders it; none
reads data itself, none is focusable, none has a binding.
"""

from __future__ import annotations

from ui.widgets.alerts import AlertsPanel
from ui.widgets.chain import ChainPanel
from ui.widgets.keys_bar import KeysBar
from ui.widgets.kill_switch import KillSwitchPanel
from ui.widgets.mode_banner import ModeBanner
from ui.widgets.opportunities import OpportunitiesPanel
from ui.widgets.panel import StatusPanel
from ui.widgets.pnl import PnlPanel
from ui.widgets.risk import RiskPanel
from ui.widgets.summary import SummaryBar
from ui.widgets.system import SystemPanel
from ui.widgets.trades import TradesPanel

__all__ = [
    "AlertsPanel",
    "ChainPanel",
    "KeysBar",
    "KillSwitchPanel",
    "ModeBanner",
    "OpportunitiesPanel",
    "PnlPanel",
    "RiskPanel",
    "StatusPanel",
    "SummaryBar",
    "SystemPanel",
    "TradesPanel",
]
