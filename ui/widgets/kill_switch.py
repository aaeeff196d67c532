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
        width = self.width_hint(80)
        hold = f"{status.rearm_hold_s:g}"
        if status.kill_switch:
            head, style = "Kill switch: LATCHED", "bold red"
            rest = f" - to re-arm: release it, then hold the switch {hold} s."
            if len(head) + len(rest) > width and self.tiny:  # else: it wraps, all of it
                head, rest = "LATCHED", f": release, hold {hold} s to re-arm"
        else:
            head, style = "Kill switch: armed", "bold green"
            rest = " - press it to halt all trading at once."
            if len(head) + len(rest) > width:
                rest = " (? for help)"
        text = Text(head, style="" if stale else style)
        text.append(rest)
        return text
