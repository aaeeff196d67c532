"""Chain head, head age, pools watched and each RPC endpoint's health and latency."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ui.format import age, latency
from ui.status import Endpoint, Status
from ui.widgets.panel import StatusPanel

__all__ = ["ChainPanel", "endpoint_state"]


def endpoint_state(e: Endpoint) -> tuple[str, str]:
    """(word, colour) of one endpoint."""
    if e.breaker == "open":
        return "OPEN", "red"
    if not e.healthy:
        return "DOWN", "red"
    if e.lagging:
        return "LAG", "yellow"
    if e.breaker == "half-open":
        return "half", "yellow"
    return "ok", "green"


class ChainPanel(StatusPanel):
    FIELDS = ("head_block", "head_age_s", "n_pools", "n_tokens", "n_denied", "endpoints")
    TITLE = "Chain"

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        head = "-" if status.head_block is None else f"#{status.head_block}"
        top = Text(f"head {head}  age {age(status.head_age_s)}\n")
        top.append(f"pools {status.n_pools}  tokens {status.n_tokens}  denied {status.n_denied}")
        table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1), expand=True)
        table.add_column("rpc", no_wrap=True, overflow="crop", ratio=1)
        table.add_column("state", no_wrap=True)
        table.add_column("latency", justify="right", no_wrap=True)
        for e in status.endpoints:
            word, colour = endpoint_state(e)
            table.add_row(e.host, Text(word, style="" if stale else colour), latency(e.latency_ms))
        if not status.endpoints:
            table.add_row("(no endpoint reported)", "", "")
        return Group(top, table)
