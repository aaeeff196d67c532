"""The appliance's hardware safety layer: kill switch (GPIO + SIGUSR1), re-arm, status LEDs.

Every device takes an explicit gpiozero ``pin_factory`` (see :func:`hw.pins.make_pin_factory`);
the global ``Device.pin_factory`` is never assigned.
"""

from hw.errors import HwError, PinConflict, PinFactoryUnavailable
from hw.kill_switch import HELD_AT_START, HoldFeedback, KillSwitch, Phase, log_press
from hw.leds import LedBank, led_is_lit, led_pattern, run_led_driver
from hw.pins import is_raspberry_pi, make_pin_factory
from hw.runner import HwHandle, run_hw
from hw.sigusr1 import Sigusr1Switch
from hw.view import HwView

__all__ = [
    "HELD_AT_START",
    "HoldFeedback",
    "HwError",
    "HwHandle",
    "HwView",
    "KillSwitch",
    "LedBank",
    "Phase",
    "PinConflict",
    "PinFactoryUnavailable",
    "Sigusr1Switch",
    "is_raspberry_pi",
    "led_is_lit",
    "led_pattern",
    "log_press",
    "make_pin_factory",
    "run_hw",
    "run_led_driver",
]
