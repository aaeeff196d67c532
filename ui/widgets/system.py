"""The board: the supervisor's CPU and RSS, temperature, disk free, uptimes."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ui.format import age, flow, percent, size, temperature
from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["SystemPanel"]


class SystemPanel(StatusPanel):
    FIELDS = ("system", "updated_age_s", "pid")
    TITLE = "System"

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        s = status.system
        updated = (
            f"state updated {age(status.updated_age_s)} ago"
            if status.updated_age_s is not None
            else "no state file"
        )
        parts = [
            f"supervisor up {age(s.supervisor_uptime_s)}",
            f"CPU {percent(s.cpu_pct)}",
            f"RSS {size(s.rss_bytes)}",
            f"temp {temperature(s.temp_c)}",
            f"disk free {size(s.disk_free_bytes)}",
            f"board up {age(s.uptime_s)}",
            updated,
        ]
        return Text("\n".join(flow(parts, self.width_hint())))
