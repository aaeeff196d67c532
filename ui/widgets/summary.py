"""The line under the banner: head, head age and P&L, visible on every view and every size."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ui.format import age, wei
from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["SummaryBar"]


class SummaryBar(StatusPanel):
    FIELDS = ("head_block", "head_age_s", "pnl_today", "pnl_7d", "symbol", "decimals")

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        unit = f" {status.symbol}" if status.symbol else ""
        head = "-" if status.head_block is None else f"#{status.head_block}"
        text = Text()
        text.append(f"head {head} age {age(status.head_age_s)}", style="bold")
        text.append("  ")
        pnl = wei(status.pnl_today, decimals=status.decimals, sign=True)
        text.append(f"P&L today {pnl}{unit}", style="bold")
        text.append(f"  7d {wei(status.pnl_7d, decimals=status.decimals, sign=True)}")
        if stale:
            text.append("  [STALE]", style="bold")
        return text
