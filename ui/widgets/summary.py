"""The line under the banner: head, head age and P&L, visible on every view and every size."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from appliance.units import amount
from ui.format import age
from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["SummaryBar"]


class SummaryBar(StatusPanel):
    FIELDS = ("head_block", "head_age_s", "pnl_today", "pnl_7d", "symbol", "decimals")

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        head = "-" if status.head_block is None else f"#{status.head_block}"
        d, sym = status.decimals, status.symbol
        today = amount(status.pnl_today, d, sym, sign=True)
        week = amount(status.pnl_7d, d, sym, sign=True)
        flag = "  [STALE]" if stale else ""
        full = f"head {head} age {age(status.head_age_s)}  P&L today {today}  7d {week}{flag}"
        if len(full) > self.width_hint(80):  # the small screens: head, age and today only
            full = f"{head} {age(status.head_age_s)}  P&L {today}{flag}"
        return Text(full, style="bold", no_wrap=True, overflow="crop")
