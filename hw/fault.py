"""The LEDs of a supervisor that is not running: ``arb-appliance fault-leds``.

systemd starts it (``arb-appliance-fault.service``, through ``OnFailure=`` of the main unit) when
the supervisor failed to start repeatedly or refused its config: the box must never go dark
while it cannot trade. Red blinks (a fault), green and yellow are off; when the kill switch latch
is present, red is steady (EMERGENCY), as the supervisor itself would show it.
"""

from __future__ import annotations

import trio

from appliance.events import LedsChanged
from hw.leds import LedBank, run_led_driver

__all__ = ["FAILED", "FAILED_LATCHED", "run_fault_leds"]

FAILED = LedsChanged(green="off", yellow="off", red="slow")
FAILED_LATCHED = LedsChanged(green="off", yellow="off", red="on")


async def run_fault_leds(
    *,
    green: int,
    yellow: int,
    red: int,
    pin_factory,
    latched: bool,
    task_status: trio.TaskStatus[LedBank] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Show the failed-service pattern until cancelled; the LEDs go off on exit."""
    bank = LedBank(green=green, yellow=yellow, red=red, pin_factory=pin_factory)
    try:
        _send, recv = trio.open_memory_channel[LedsChanged](0)
        task_status.started(bank)
        await run_led_driver(bank, recv, initial=FAILED_LATCHED if latched else FAILED)
    finally:
        bank.close()
