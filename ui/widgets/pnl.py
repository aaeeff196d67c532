"""P&L today and over 7 days, with an ASCII equity sparkline."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ui.format import sparkline, wei
from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["PnlPanel"]


def _colour(value: int | None, stale: bool) -> str:
    if stale or value is None or value == 0:
        return ""
    return "green" if value > 0 else "red"


class PnlPanel(StatusPanel):
    FIELDS = ("pnl_today", "pnl_7d", "equity", "symbol", "decimals", "paper", "trade_counts")
    TITLE = "P&L"

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        unit = f" {status.symbol}" if status.symbol else ""
        kind = "paper" if status.paper else "live"
        d = status.decimals
        text = Text(f"today ({kind}) ")
        text.append(
            wei(status.pnl_today, decimals=d, sign=True) + unit, _colour(status.pnl_today, stale)
        )
        text.append("\n7 days       ")
        text.append(wei(status.pnl_7d, decimals=d, sign=True) + unit, _colour(status.pnl_7d, stale))
        spark = sparkline(status.equity, max(1, self.width_hint() - 7))
        text.append(f"\nequity [{spark or 'no trades'}]")
        counts = status.trade_counts
        done = counts.get("mined", 0) + counts.get("paper", 0)
        text.append(f"\ntrades {done} ok, {counts.get('reverted', 0)} reverted")
        return text
