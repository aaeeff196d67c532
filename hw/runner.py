"""``run_hw``: the supervisor's hardware task — kill switch, re-arm and LEDs, owning the devices."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from appliance.events import LedsChanged
from appliance.safety import SafetyLatch
from hw.kill_switch import KillSwitch
from hw.leds import LedBank, run_led_driver
from hw.mock_switch import is_mock, run_mock_switch
from hw.view import HwView

if TYPE_CHECKING:
    from appliance.config.sections import HardwareConfig

__all__ = ["HwHandle", "run_hw"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HwHandle:
    """Given to ``task_status.started``: the supervisor routes SIGUSR1 through ``kill_switch``."""

    kill_switch: KillSwitch
    leds: LedBank | None

    def press_from_software(self, source: str = "sigusr1") -> bool:
        return self.kill_switch.press_from_software(source)


async def run_hw(
    cfg: HardwareConfig,
    *,
    latch: SafetyLatch,
    pin_factory,
    mode_recv: trio.MemoryReceiveChannel,
    events_send: trio.MemorySendChannel,
    healthy: Callable[[], bool],
    mock_control: Path | None = None,
    task_status=trio.TASK_STATUS_IGNORED,
) -> None:
    """Drive the kill switch and the LEDs until cancelled.

    ``mode_recv`` carries what the LEDs show (see :class:`hw.view.HwView`); ``events_send``
    receives :class:`KillSwitchPressed`, :class:`KillSwitchRearmed`, :class:`RearmRefused` and
    :class:`LedsChanged`. With ``cfg.enabled`` false no pin is touched, but the software kill
    switch (SIGUSR1) works the same and the LED patterns are still computed and reported.
    With a MockFactory and ``mock_control`` set, that file drives the simulated switch
    (:mod:`hw.mock_switch`: the demo's deliberate press and re-arm off a Pi).
    """
    kill_switch = KillSwitch(
        latch,
        pin=cfg.kill_switch_pin if cfg.enabled else None,
        pull_up=cfg.pull_up,
        bounce_s=cfg.bounce_s,
        rearm_hold_s=cfg.rearm_hold_s,
        pin_factory=pin_factory,
    )
    bank: LedBank | None = None
    try:
        if cfg.enabled:
            bank = LedBank(
                green=cfg.green_pin, yellow=cfg.yellow_pin, red=cfg.red_pin, pin_factory=pin_factory
            )
        view = HwView(latched=latch.tripped)
        view_send, view_recv = trio.open_memory_channel[object](math.inf)
        patterns_send, patterns_recv = trio.open_memory_channel[LedsChanged](math.inf)

        async def forward_modes() -> None:
            async for msg in mode_recv:
                view_send.send_nowait(msg)

        async def fold() -> None:
            shown = view.pattern()
            await events_send.send(shown)
            async for msg in view_recv:
                view.apply(msg)
                view.latched = latch.tripped
                pattern = view.pattern()
                if pattern != shown:
                    shown = pattern
                    patterns_send.send_nowait(pattern)
                    await events_send.send(pattern)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(forward_modes)
            nursery.start_soon(fold)
            nursery.start_soon(partial(run_led_driver, bank, patterns_recv, initial=view.pattern()))
            nursery.start_soon(
                lambda: kill_switch.run(
                    events_send, healthy=healthy, feedback=view_send.send_nowait
                )
            )
            if mock_control is not None and cfg.enabled and is_mock(pin_factory):
                pin = pin_factory.pin(cfg.kill_switch_pin)
                await nursery.start(run_mock_switch, mock_control, pin)
            task_status.started(HwHandle(kill_switch=kill_switch, leds=bank))
    finally:
        kill_switch.close()
        if bank is not None:
            bank.close()
