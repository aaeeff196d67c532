"""The board: the supervisor's CPU and RSS, temperature, disk free, uptimes."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ui.format import age, percent, size, temperature
from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["SystemPanel"]


class SystemPanel(StatusPanel):
    FIELDS = ("system", "updated_age_s", "pid")
    TITLE = "System"

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        s = status.system
        text = Text(f"supervisor up {age(s.supervisor_uptime_s)}")
        text.append(f"\nCPU {percent(s.cpu_pct)}  RSS {size(s.rss_bytes)}")
        text.append(f"\ntemp {temperature(s.temp_c)}")
        text.append(f"\ndisk free {size(s.disk_free_bytes)}")
        text.append(f"\nboard up {age(s.uptime_s)}")
        updated = age(status.updated_age_s)
        text.append(
            f"\nstate updated {updated} ago"
            if status.updated_age_s is not None
            else "\nno state file"
        )
        return text
