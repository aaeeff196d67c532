"""P&L today and over 7 days, the P&L and opportunity-rate sparklines, and the trade count."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from appliance.units import amount
from ui.status import Status
from ui.widgets.panel import TALL_HEIGHT, StatusPanel
from ui.widgets.spark import GREEN, GREY, RED, YELLOW, spark

__all__ = ["PnlPanel", "spark_rows"]


def _colour(value: int | None, stale: bool) -> str:
    if stale or value is None or value == 0:
        return ""
    return "green" if value > 0 else "red"


def spark_rows(rows: list[tuple[str, RenderableType, str]]) -> Table:
    """``(label, sparkline, value)`` rows, the sparklines filling what the texts leave."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1, no_wrap=True)
    table.add_column(no_wrap=True, justify="right")
    for label, line, value in rows:
        table.add_row(label, line, value)
    return table


class PnlPanel(StatusPanel):
    FIELDS = (
        "pnl_today",
        "pnl_7d",
        "equity",
        "symbol",
        "decimals",
        "paper",
        "trade_counts",
        "opportunity_rate",
    )
    TITLE = "P&L"

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        width = self.width_hint()
        d, sym = status.decimals, status.symbol
        kind = "paper" if status.paper else "live"
        rate = status.opportunity_rate
        now_rate = f"{rate[-1]}/min" if rate else "-"
        labels = ("P&L 7d", "opps/min")
        label_w = max(map(len, labels))
        line_w = max(1, width - label_w - len(now_rate) - 2)
        equity = status.equity or ()
        rows = [
            (
                labels[0].ljust(label_w),
                spark(equity, line_w, low=RED, high=GREEN, unicode=self.unicode, stale=stale)
                if len(equity) >= 2
                else Text("(no trades yet)"),
                "",
            ),
            (
                labels[1].ljust(label_w),
                spark(rate, line_w, low=GREY, high=YELLOW, unicode=self.unicode, stale=stale),
                now_rate,
            ),
        ]
        sparks = spark_rows(rows)
        if self.tiny:  # P&L today is on the summary line already
            return sparks
        today = Text(f"today ({kind}) ")
        today.append(amount(status.pnl_today, d, sym, sign=True), _colour(status.pnl_today, stale))
        week = Text("7 days ")
        week.append(amount(status.pnl_7d, d, sym, sign=True), _colour(status.pnl_7d, stale))
        lines: list[RenderableType] = [today, week]
        if len(today) + 3 + len(week) <= width:
            lines = [Text.assemble(today, "   ", week)]
        if self.app.size.height >= TALL_HEIGHT:
            counts = status.trade_counts
            done = counts.get("mined", 0) + counts.get("paper", 0)
            lines.append(Text(f"trades {done} ok, {counts.get('reverted', 0)} reverted"))
        return Group(*lines, sparks)
