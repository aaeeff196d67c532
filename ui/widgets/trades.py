"""The latest trades: status, profit (in the trade's own base token), gas and a short hash."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table

from ui.format import short_hash, wei
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
    FIELDS = ("trades", "trade_counts")
    TITLE = "Trades"

    def __init__(self, rows: int = 20, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows = rows

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        counts = status.trade_counts
        total = sum(counts.values())
        self.set_title(f"Trades ({total})", stale)
        table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1), expand=True)
        table.add_column("status", no_wrap=True)
        table.add_column("profit", justify="right", no_wrap=True)
        table.add_column("gas", justify="right", no_wrap=True)
        table.add_column("tx", no_wrap=True, overflow="crop", ratio=1)
        for t in status.trades[: self.rows]:
            gas = "-" if t.gas_used is None else f"{t.gas_used}"
            table.add_row(
                t.status,
                _profit(t.profit, t.decimals, t.symbol),
                gas,
                short_hash(t.tx_hash) if t.tx_hash else (t.reason or "-"),
                style="" if stale else STATUS_COLOURS.get(t.status, ""),
            )
        if not status.trades:
            table.add_row("(none journaled yet)", "", "", "")
        return table


def _profit(amount: int | None, decimals: int, symbol: str) -> str:
    text = wei(amount, decimals=decimals, sign=True)
    return f"{text} {symbol[:5]}" if symbol and amount is not None else text
