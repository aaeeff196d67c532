"""The alerts the appliance raised, newest first, from the journal (webhooks or not)."""

from __future__ import annotations

import datetime as dt

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["AlertsPanel"]

PRIORITY_COLOURS = {"critical": "bold red", "warning": "yellow", "info": ""}


class AlertsPanel(StatusPanel):
    FIELDS = ("alerts",)
    TITLE = "Alerts"

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        if not status.alerts:
            return Text("(no alerts raised)")
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
        table.add_column("text", overflow="fold", ratio=1)  # wrapped, never cut
        for a in status.alerts:
            at = dt.datetime.fromtimestamp(a.at, dt.UTC).strftime(
                "%H:%M" if self.tiny else "%H:%M:%S"
            )
            style = "" if stale else PRIORITY_COLOURS.get(a.priority, "")
            table.add_row(at, a.priority[:4].upper(), a.text, style=style)
        return table
