"""The latest trades: status, gross profit, gas cost, net profit and a short hash.

Gross and net are in the trade's own base token; gas is the cost paid (``gas_cost``, in the
native coin: the reference token's unit); net = gross - gas when both are in that unit. Columns
that do not fit go (gross first: net and gas imply it; then gas, then the hash); on the 3.5-inch
display the net goes without its symbol.
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
            Column("gross", "right", drop=1),
            Column(f"gas{gas_unit}", "right", drop=2),
            Column("net", "right"),
            Column("tx", drop=3),
        ]
        rows, styles = [], []
        for t in status.trades[: self.rows]:
            places = 4 if tiny else 6
            net = "-"
            if t.net_profit is not None:
                symbol = None if tiny else (t.symbol or None)
                net = amount(t.net_profit, t.decimals, symbol, places=places, sign=True)
                if tiny:
                    net = tokens(t.net_profit, t.decimals, places=places, sign=True)
            rows.append(
                [
                    t.status,
                    tokens(t.profit, t.decimals, places=places),
                    tokens(t.gas_cost, status.decimals, places=places),
                    net,
                    short_hash(t.tx_hash) if t.tx_hash else (t.reason or "-"),
                ]
            )
            styles.append("" if stale else STATUS_COLOURS.get(t.status, ""))
        return fit_table(columns, rows, width, header=not tiny, styles=styles)
