"""The large mode banner in the LED colours; "NOT LIVE" whenever the data is not live."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from appliance.modes import Mode
from appliance.units import DOWN, TRIPPED
from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["MEANINGS", "ModeBanner", "banner_class"]

_CLASSES = ("-normal", "-warn", "-emergency", "-fault", "-notlive")

MEANINGS = {
    "NORMAL": "trading",
    "REDUCED": "trading with reduced sizes",
    "PAUSED": "no new trades",
    "EMERGENCY": "KILL SWITCH - all trading halted",
    "STARTING": "starting up: not trading yet",
}
TINY_MEANINGS = {**MEANINGS, "EMERGENCY": "trading halted", "STARTING": "not trading yet"}
FAULT_MEANING = f"an endpoint {DOWN}, a breaker {TRIPPED} or repeated crashes"


def banner_class(status: Status) -> str:
    """The banner's colour class, by precedence: not live > emergency > fault > paused > normal."""
    if not status.liveness.live:
        return "-notlive"
    if status.mode is Mode.EMERGENCY:
        return "-emergency"
    if status.fault:
        return "-fault"
    if status.mode is Mode.NORMAL:
        return "-normal"
    return "-warn"  # REDUCED, PAUSED, or starting (no mode yet)


def _spaced(word: str) -> str:
    return " ".join(word)


class ModeBanner(StatusPanel):
    """Two lines: the mode spelled wide, and what it means (or why nothing is live); one line
    on the 3.5-inch display."""

    FIELDS = ("liveness_detail", "mode", "fault", "paper")

    GREY_WHEN_STALE = False

    def _show(self, status: Status | None) -> None:
        if status is not None:
            wanted = banner_class(status)
            for name in _CLASSES:
                self.set_class(name == wanted, name)
        super()._show(status)

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        mode = status.mode.name if status.mode is not None else "STARTING"
        if not status.liveness.live:
            text = Text(status.liveness_detail, style="bold", justify="center")
            if self.tiny:
                text.append(f" - last mode {mode}")
            else:
                text.append(f"\nlast known mode: {mode} - numbers below are NOT live")
            return text
        if status.fault and status.mode is not Mode.EMERGENCY:
            word, meaning = f"FAULT - {mode}", FAULT_MEANING
        else:
            word, meaning = mode, MEANINGS[mode]
        if status.paper:
            meaning += " (paper)"
        style = "bold blink" if status.fault else "bold"
        if self.tiny:
            faulted = status.fault and status.mode is not Mode.EMERGENCY
            meaning = "see 3:Health" if faulted else TINY_MEANINGS[mode]
            meaning += " (paper)" if status.paper else ""
            one = f"{_spaced(word)} - {meaning}"
            if len(one) > self.width_hint(40):
                one = f"{word} - {meaning}"
            return Text(one, style=style, justify="center")
        text = Text(_spaced(word), style=style, justify="center")
        text.append("\n" + meaning, style="bold")
        return text
