"""The simulated kill switch of a demo off a Pi: a control file instead of a finger.

Only with gpiozero's MockFactory (no GPIO chip: ``make demo`` on a laptop) the hardware task
creates ``<runtime_dir>/mock-kill-switch`` holding ``released`` and follows it: ``held`` closes
the simulated switch (the pin goes low, exactly as a press would drive it), ``released`` opens
it. Everything after the pin is the production path — the latch, the bounce filter, the
deliberate 5 s re-arm hold, the health check. ``arb-appliance mock-switch press|hold`` writes the
file; on a Pi (lgpio) the file is never created and the command refuses: use the switch itself.
It is not a screen control: the screen stays read-only.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import trio

__all__ = ["CONTROL_NAME", "HELD", "RELEASED", "is_mock", "run_mock_switch", "write_control"]

CONTROL_NAME = "mock-kill-switch"
HELD, RELEASED = "held", "released"
POLL_S = 0.02


def is_mock(pin_factory) -> bool:
    from gpiozero.pins.mock import MockFactory

    return isinstance(pin_factory, MockFactory)


def write_control(path: Path, value: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(value + "\n")
    os.replace(tmp, path)


async def run_mock_switch(path: Path, pin, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
    """Drive the mock ``pin`` from the control file at ``path`` until cancelled."""
    write_control(path, RELEASED)
    task_status.started()
    shown = RELEASED
    try:
        while True:
            await trio.sleep(POLL_S)
            try:
                value = path.read_text().strip()
            except OSError:
                continue
            if value == shown or value not in (HELD, RELEASED):
                continue
            shown = value
            if value == HELD:
                pin.drive_low()  # the switch closes to GND
            else:
                pin.drive_high()
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
