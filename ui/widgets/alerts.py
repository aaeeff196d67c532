"""Recent alerts, newest first."""

from __future__ import annotations

import datetime as dt

from rich.console import RenderableType
from rich.table import Table

from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["AlertsPanel"]

PRIORITY_COLOURS = {"critical": "bold red", "warning": "yellow", "info": ""}


class AlertsPanel(StatusPanel):
    FIELDS = ("alerts",)
    TITLE = "Alerts"

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        table = Table(
            box=None,
            show_edge=False,
            pad_edge=False,
            padding=(0, 1),
            expand=True,
            show_header=False,
        )
        table.add_column("at", no_wrap=True)
        table.add_column("priority", no_wrap=True)
        table.add_column("text", no_wrap=True, overflow="crop", ratio=1)
        for a in status.alerts:
            at = dt.datetime.fromtimestamp(a.at, dt.UTC).strftime("%H:%M:%S")
            style = "" if stale else PRIORITY_COLOURS.get(a.priority, "")
            table.add_row(at, a.priority[:4].upper(), a.text, style=style)
        if not status.alerts:
            table.add_row("", "", "(no alerts)")
        return table
