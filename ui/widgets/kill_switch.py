"""Kill switch state and how to re-arm it (only on the box: the screen has no control)."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["KillSwitchPanel"]


class KillSwitchPanel(StatusPanel):
    FIELDS = ("kill_switch", "rearm_hold_s")

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        if status.kill_switch:
            text = Text("Kill switch: LATCHED", style="" if stale else "bold red")
            hold = f"{status.rearm_hold_s:g}"
            text.append(f" - to re-arm: release it, then hold the switch {hold} s.")
            return text
        text = Text("Kill switch: armed", style="" if stale else "bold green")
        text.append(" - press it to halt all trading at once.")
        return text
