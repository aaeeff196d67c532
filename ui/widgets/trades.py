"""The latest trades: status, profit (in the trade's own base token), gas cost and a short hash.

Gas is the cost paid (``gas_cost``, in the native coin: the reference token's unit).
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from appliance.units import amount, short_hash, tokens
from ui.status import Status
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
        table = Table(
            box=None,
            show_edge=False,
            pad_edge=False,
            padding=(0, 1),
            expand=True,
            show_header=not tiny,
        )
        table.add_column("status", no_wrap=True)
        table.add_column("profit", justify="right", no_wrap=True)
        gas_unit = f" {status.symbol}" if status.symbol else ""
        show_gas = width >= 48 and not tiny
        if show_gas:
            table.add_column(f"gas{gas_unit}", justify="right", no_wrap=True)
        table.add_column("tx", no_wrap=True, overflow="ellipsis", ratio=1)
        for t in status.trades[: self.rows]:
            cells = [
                t.status,
                amount(t.profit, t.decimals, t.symbol or None, places=4 if tiny else 6, sign=True),
            ]
            if show_gas:
                cells.append(tokens(t.gas_cost, status.decimals))
            cells.append(short_hash(t.tx_hash) if t.tx_hash else (t.reason or "-"))
            table.add_row(*cells, style="" if stale else STATUS_COLOURS.get(t.status, ""))
        return table
