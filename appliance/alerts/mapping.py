"""Which supervisor events become alerts, and how urgent they are (a pure function)."""

from __future__ import annotations

from appliance.events import (
    AlertRaised,
    FaultChanged,
    KillSwitchPressed,
    KillSwitchRearmed,
    ModeChanged,
    Priority,
    RearmRefused,
)
from appliance.modes import Mode

__all__ = ["alert_for"]


def alert_for(event: object, *, at: float | None = None) -> AlertRaised | None:
    """The alert for ``event``, or None. Breaker alerts come from the risk engine itself."""
    if isinstance(event, KillSwitchPressed):
        if not event.newly_latched and event.source == "gpio":
            return None
        return AlertRaised(
            at=event.at,
            priority=Priority.CRITICAL,
            key="kill_switch",
            text=f"KILL SWITCH pressed ({event.source}): trading halted, EMERGENCY latched",
            extra={"source": event.source},
        )
    if isinstance(event, KillSwitchRearmed):
        return AlertRaised(
            at=event.at,
            priority=Priority.CRITICAL,
            key="kill_switch:rearm",
            text=f"kill switch re-armed on the box after a {event.held_s:.1f} s hold: EMERGENCY -> PAUSED",
        )
    if isinstance(event, RearmRefused):
        return AlertRaised(
            at=event.at,
            priority=Priority.WARNING,
            key="kill_switch:refused",
            text=f"re-arm refused: {event.reason}",
        )
    if isinstance(event, ModeChanged):
        if event.new is Mode.EMERGENCY and event.source == "kill_switch":
            return None  # the KillSwitchPressed alert says it
        priority = {
            Mode.EMERGENCY: Priority.CRITICAL,
            Mode.PAUSED: Priority.WARNING,
            Mode.REDUCED: Priority.WARNING,
            Mode.NORMAL: Priority.INFO,
        }[event.new]
        return AlertRaised(
            at=event.at,
            priority=priority,
            key=f"mode:{event.new.name}",
            text=f"mode {event.old.name} -> {event.new.name}: {event.reason} ({event.source})",
        )
    if isinstance(event, FaultChanged):
        stamp = at if at is not None else 0.0
        if event.active:
            return AlertRaised(
                at=stamp,
                priority=Priority.WARNING,
                key=f"fault:{event.name}",
                text=f"fault {event.name}: {event.detail}".rstrip(": "),
            )
        return AlertRaised(
            at=stamp,
            priority=Priority.INFO,
            key=f"fault:{event.name}:cleared",
            text=f"fault {event.name} cleared",
        )
    return None
