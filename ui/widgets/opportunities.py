"""The latest opportunities: path, size, expected gross profit, gas, net, decision and reason.

Size, gross, gas and net are in the row's own base token (its decimals; the net with its symbol:
``+0.0028 WETH``), so net = gross - gas reads off the row. Columns that do not fit go (block
first, then size, gross, gas); the reason is shortened before that.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from appliance.units import amount, tokens
from ui.status import Status
from ui.widgets.columns import Column, fit_table
from ui.widgets.panel import StatusPanel

__all__ = ["OpportunitiesPanel"]

DECISION_COLOURS = {"approved": "green", "rejected": "yellow", "candidate": ""}
SHORT_DECISIONS = {"approved": "ok", "rejected": "REJ", "candidate": "new"}


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
        columns = [
            Column("block", "right", drop=1),
            Column("path"),
            Column("size", "right", drop=2),
            Column("gross", "right", drop=3),
            Column("gas", "right", drop=4),
            Column("net", "right"),
            Column("decision", drop=None),
        ]
        rows, styles = [], []
        for o in status.opportunities[: self.rows]:
            decision = f"REJ {o.reason}" if o.decision == "rejected" else o.decision
            if tiny or width < 56:
                decision = SHORT_DECISIONS.get(o.decision, o.decision)
            places = 4 if tiny else 6
            rows.append(
                [
                    str(o.block),
                    o.path,
                    tokens(o.amount_in, o.decimals, places=4),
                    tokens(o.gross_profit, o.decimals, places=4),  # narrow: the net is exact
                    tokens(o.gas_cost, o.decimals, places=4),
                    amount(o.net_profit, o.decimals, o.symbol or None, places=places, sign=True),
                    decision,
                ]
            )
            styles.append("" if stale else DECISION_COLOURS.get(o.decision, ""))
        return fit_table(columns, rows, width, header=not tiny, styles=styles)
