"""The latest trades: status, profit (in the trade's own base token), gas cost and a short hash.

Gas is the cost paid (``gas_cost``, in the native coin: the reference token's unit).
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from appliance.units import amount, short_hash, tokens
from ui.status import Status
from ui.widgets.columns import Column, fit_table
from ui.widgets.panel import StatusPanel

__all__ = ["TradesPanel"]

STATUS_COLOURS = {
    "mined": "green",
    "paper": "green",
    "reverted": "red",
    "dropped": "red",
    "signed": "yellow",
    "sent": "yellow",
}


class TradesPanel(StatusPanel):
    FIELDS = ("trades", "trade_counts", "symbol")
    TITLE = "Trades"

    def __init__(self, rows: int = 20, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows = rows

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        counts = status.trade_counts
        self.set_title(f"Trades ({sum(counts.values())})", stale)
        if not status.trades:
            return Text("(none journaled yet)")
        width, tiny = self.width_hint(), self.tiny
        gas_unit = f" {status.symbol}" if status.symbol else ""
        columns = [
            Column("status"),
            Column("profit", "right"),
            Column(f"gas{gas_unit}", "right", drop=1),
            Column("tx", drop=2),
        ]
        rows, styles = [], []
        for t in status.trades[: self.rows]:
            places = 4 if tiny else 6
            rows.append(
                [
                    t.status,
                    amount(t.profit, t.decimals, t.symbol or None, places=places, sign=True),
                    tokens(t.gas_cost, status.decimals),
                    short_hash(t.tx_hash) if t.tx_hash else (t.reason or "-"),
                ]
            )
            styles.append("" if stale else STATUS_COLOURS.get(t.status, ""))
        return fit_table(columns, rows, width, header=not tiny, styles=styles)
