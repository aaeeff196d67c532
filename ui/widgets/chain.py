"""Chain head, head age, pools watched and each RPC endpoint's state, latency (and its history).

Endpoint states use the one vocabulary of :mod:`appliance.units` (``OK``, ``LAG``, ``DOWN``,
``TRIPPED``, ``RETRY``), the same words as the breakers and ``arb-appliance status``. On the health
view each unhealthy endpoint also says why (``reason``: stale head, head from the future, head
going backwards, transport errors), under the table.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from appliance.units import endpoint_word
from ui.format import age as fmt_age
from ui.format import flow, latency
from ui.status import Endpoint, Status
from ui.widgets.panel import StatusPanel
from ui.widgets.spark import GREEN, RED, spark

__all__ = ["SEVERITY_COLOURS", "ChainPanel", "endpoint_state"]

SEVERITY_COLOURS = {"ok": "green", "warn": "yellow", "bad": "red"}


def endpoint_state(e: Endpoint) -> tuple[str, str]:
    """(word, colour) of one endpoint."""
    word, severity = endpoint_word(healthy=e.healthy, lagging=e.lagging, breaker=e.breaker)
    return word, SEVERITY_COLOURS[severity]


class ChainPanel(StatusPanel):
    """``history=True``: a latency sparkline per endpoint (the health view)."""

    FIELDS = ("head_block", "head_age_s", "n_pools", "n_tokens", "n_denied", "endpoints")
    TITLE = "Chain"

    def __init__(self, *, history: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = history
        if history:
            self.FIELDS = (*ChainPanel.FIELDS, "latency_history")

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        width = self.width_hint()
        head = "-" if status.head_block is None else f"#{status.head_block}"
        items = [
            f"head {head} age {fmt_age(status.head_age_s)}",
            f"pools {status.n_pools}",
            f"tokens {status.n_tokens}",
            f"denied {status.n_denied}",
        ]
        if any(e.stream for e in status.endpoints):  # endpoints with a WebSocket: which path
            live = any(e.stream == "live" and e.healthy for e in status.endpoints)
            items.append(f"input {'streaming' if live else 'polling'}")
        top = flow(items, width)
        histories = dict(status.latency_history) if self.history else {}
        spark_w = max(0, width - 36) if histories else 0
        table = Table(
            box=None,
            show_edge=False,
            pad_edge=False,
            padding=(0, 1),
            expand=True,
            show_header=not self.tiny,
        )
        table.add_column("rpc", no_wrap=True, overflow="crop", ratio=1)
        table.add_column("state", no_wrap=True)
        table.add_column("latency", justify="right", no_wrap=True)
        if spark_w >= 8:
            table.add_column("last 4 min", no_wrap=True, width=spark_w)
        for e in status.endpoints:
            word, colour = endpoint_state(e)
            cells: list[RenderableType] = [
                e.host,
                Text(word, style="" if stale else colour),
                latency(e.latency_ms),
            ]
            if spark_w >= 8:
                cells.append(
                    spark(
                        histories.get(e.host, ()),
                        spark_w,
                        low=GREEN,
                        high=RED,
                        unicode=self.unicode,
                        stale=stale,
                    )
                )
            table.add_row(*cells)
        if not status.endpoints:
            return Group(
                *([] if self.tiny else [Text("\n".join(top))]), Text("(no endpoint reported)")
            )
        why = [
            Text(f"{e.host}: {e.reason}", style="" if stale else "red")
            for e in status.endpoints
            if self.history and e.reason and not e.healthy
        ]
        if self.tiny:
            return Group(table, *why) if why else table
        return Group(Text("\n".join(top)), table, *why)
