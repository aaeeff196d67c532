"""What the supervisor does when a restarted subsystem crashes repeatedly, and when it recovers.

Unstable (``max_crashes`` in ``window_s``, see :mod:`appliance.supervision`): risk holds the mode
at PAUSED under the key ``crashes:<name>`` with the reason (the reason reaches the journal's mode
row and, as a CRITICAL alert, the state file's last alert: the screen shows it), and the LEDs show
the fault. Recovered (an attempt ran ``stable_s`` cleanly): ``HoldReleased`` for that key, the
fault is cleared and a WARNING alert says so — trading resumes by itself once healthy.

The store's own fault (``STORAGE_FAULT``: the disk is full) holds trading the same way, from
the bus (:meth:`CrashHolds.storage_hold`), until the store clears it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import trio

from appliance.events import AlertRaised, FaultChanged, Priority
from appliance.modes import Mode
from appliance.risk.inputs import HoldReleased, HoldRequested
from appliance.store.writer import STORAGE_FAULT

__all__ = ["CrashHolds"]

log = logging.getLogger("appliance.supervisor")


@dataclass
class CrashHolds:
    risk_inputs: trio.MemorySendChannel
    hw: trio.MemorySendChannel
    records: trio.MemorySendChannel

    def unstable(self, name: str, exc: BaseException) -> None:
        text = f"subsystem {name} crashed repeatedly ({type(exc).__name__}: {exc}); trading paused"
        log.error("%s", text)
        _offer(self.risk_inputs, HoldRequested(f"crashes:{name}", Mode.PAUSED, text, "supervisor"))
        _offer(self.hw, FaultChanged(f"crashes:{name}", True, text))
        _offer(self.records, AlertRaised(time.time(), Priority.CRITICAL, f"crashes:{name}", text))

    def storage_hold(self, event: Any) -> None:
        """Bus observer: the store's disk-full fault pauses trading until it clears."""
        if isinstance(event, FaultChanged) and event.name == STORAGE_FAULT:
            if event.active:
                hold = HoldRequested(event.name, Mode.PAUSED, event.detail, "store")
            else:
                hold = HoldReleased(event.name, event.detail, "store")
            _offer(self.risk_inputs, hold)

    def recovered(self, name: str) -> None:
        text = f"subsystem {name} runs cleanly again: its pause is released"
        log.warning("%s", text)
        _offer(self.risk_inputs, HoldReleased(f"crashes:{name}", text, "supervisor"))
        _offer(self.hw, FaultChanged(f"crashes:{name}", False))
        _offer(self.records, AlertRaised(time.time(), Priority.WARNING, f"crashes:{name}", text))


def _offer(send: trio.MemorySendChannel, event: Any) -> None:
    try:
        send.send_nowait(event)
    except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
        log.warning("could not deliver %s", type(event).__name__)
