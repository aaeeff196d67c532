"""The latest opportunities: path, size, expected net profit, decision and reason.

Size and net are in the row's own base token (its decimals and symbol: ``+0.0028 WETH``).
Narrow screens drop the block number; the 3.5-inch display drops the size and the header.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from appliance.units import amount, tokens
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
        if not status.opportunities:
            return Text("(none journaled yet)")
        width, tiny = self.width_hint(), self.tiny
        wide = width >= 66 and not tiny
        table = Table(
            box=None,
            show_edge=False,
            pad_edge=False,
            padding=(0, 1),
            expand=True,
            show_header=not tiny,
        )
        if wide:
            table.add_column("block", justify="right", no_wrap=True)
        table.add_column("path", no_wrap=True, overflow="ellipsis", ratio=2)
        if not tiny:
            table.add_column("size", justify="right", no_wrap=True)
        table.add_column("net", justify="right", no_wrap=True)
        table.add_column("decision", no_wrap=True, overflow="ellipsis", ratio=None if tiny else 1)
        for o in status.opportunities[: self.rows]:
            decision = f"REJ {o.reason}" if o.decision == "rejected" else o.decision
            if tiny:
                decision = {"approved": "ok", "rejected": "REJ", "candidate": "new"}.get(
                    o.decision, o.decision
                )
            cells = [o.path]
            if not tiny:
                cells.append(tokens(o.amount_in, o.decimals, places=4))
            cells += [
                amount(
                    o.net_profit, o.decimals, o.symbol or None, places=4 if tiny else 6, sign=True
                ),
                decision,
            ]
            if wide:
                cells.insert(0, str(o.block))
            table.add_row(*cells, style="" if stale else DECISION_COLOURS.get(o.decision, ""))
        return table
