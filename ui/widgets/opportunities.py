"""The latest opportunities: path, size, expected net profit, decision and reason.

Size and net are in the row's own base token (its decimals; the path starts with its symbol).
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table

from ui.format import wei
from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["OpportunitiesPanel"]

DECISION_COLOURS = {"approved": "green", "rejected": "yellow", "candidate": ""}


class OpportunitiesPanel(StatusPanel):
    FIELDS = ("opportunities", "opportunities_total", "approved_total")
    TITLE = "Opportunities"

    def __init__(self, rows: int = 20, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows = rows

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        self.set_title(
            f"Opportunities ({status.opportunities_total}, {status.approved_total} approved)", stale
        )
        table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1), expand=True)
        table.add_column("block", justify="right", no_wrap=True)
        table.add_column("path", no_wrap=True, overflow="crop", ratio=1)
        table.add_column("size", justify="right", no_wrap=True)
        table.add_column("net", justify="right", no_wrap=True)
        table.add_column("decision", no_wrap=True, overflow="crop", ratio=1)
        for o in status.opportunities[: self.rows]:
            decision = f"REJ {o.reason}" if o.decision == "rejected" else o.decision
            style = "" if stale else DECISION_COLOURS.get(o.decision, "")
            table.add_row(
                str(o.block),
                o.path,
                wei(o.amount_in, decimals=o.decimals, places=4),
                wei(o.net_profit, decimals=o.decimals, sign=True),
                decision,
                style=style,
            )
        if not status.opportunities:
            table.add_row("", "(none journaled yet)", "", "", "")
        return table
