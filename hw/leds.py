"""The three status LEDs: what they show (a pure function) and how they blink (a Trio task).

=================  =======  ==========  ====================================================
state              green    yellow      red
=================  =======  ==========  ====================================================
starting           off      slow        off (slow when faulted)
NORMAL             on       off         off (slow when faulted)
REDUCED            slow     on          off (slow when faulted)
PAUSED             off      on          off (slow when faulted)
EMERGENCY          off      off         on  (the hold that re-arms: yellow fast)
=================  =======  ==========  ====================================================

A fault is "no healthy RPC endpoint", "a breaker is open" or "a task keeps crashing". Blinking is
computed from Trio's clock by one task (never gpiozero's ``blink()`` threads), so every blinking
LED is in phase and the patterns are testable with ``autojump_clock``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import trio
from gpiozero import LED

from appliance.events import LedsChanged
from appliance.modes import Mode
from hw.errors import PinConflict

__all__ = [
    "FAST_HALF_PERIOD_S",
    "PATTERNS",
    "SLOW_HALF_PERIOD_S",
    "LedBank",
    "led_is_lit",
    "led_pattern",
    "next_toggle",
    "run_led_driver",
]

PATTERNS = ("off", "on", "slow", "fast")
SLOW_HALF_PERIOD_S = 0.5  # 1 Hz
FAST_HALF_PERIOD_S = 0.1  # 5 Hz


def led_pattern(
    mode: Mode, *, starting: bool = False, fault: bool = False, rearm_hold: bool = False
) -> LedsChanged:
    """The LED patterns for a state. EMERGENCY wins over everything; ``starting`` over the mode."""
    red = "slow" if fault else "off"
    if mode is Mode.EMERGENCY:
        return LedsChanged(green="off", yellow="fast" if rearm_hold else "off", red="on")
    if starting:
        return LedsChanged(green="off", yellow="slow", red=red)
    if mode is Mode.NORMAL:
        return LedsChanged(green="on", yellow="off", red=red)
    if mode is Mode.REDUCED:
        return LedsChanged(green="slow", yellow="on", red=red)
    return LedsChanged(green="off", yellow="on", red=red)  # PAUSED


def led_is_lit(pattern: str, now: float) -> bool:
    """Whether an LED with ``pattern`` is lit at Trio time ``now`` (blinks start lit at t=0)."""
    if pattern == "on":
        return True
    if pattern == "off":
        return False
    half = SLOW_HALF_PERIOD_S if pattern == "slow" else FAST_HALF_PERIOD_S
    return math.floor(now / half + 1e-9) % 2 == 0


def next_toggle(leds: LedsChanged, now: float) -> float:
    """The next Trio time at which a blinking LED changes; ``inf`` when none blinks."""
    halves = [
        SLOW_HALF_PERIOD_S if p == "slow" else FAST_HALF_PERIOD_S
        for p in (leds.green, leds.yellow, leds.red)
        if p in ("slow", "fast")
    ]
    if not halves:
        return math.inf
    return min((math.floor(now / h + 1e-9) + 1) * h for h in halves)


class LedBank:
    """Three gpiozero LEDs on the configured BCM pins (``pin_factory`` always explicit)."""

    def __init__(self, *, green: int, yellow: int, red: int, pin_factory) -> None:
        pins = (green, yellow, red)
        if len(set(pins)) != 3:
            raise PinConflict(f"LED pins must differ, got green={green} yellow={yellow} red={red}")
        self.green = LED(green, pin_factory=pin_factory)
        try:
            self.yellow = LED(yellow, pin_factory=pin_factory)
            try:
                self.red = LED(red, pin_factory=pin_factory)
            except BaseException:
                self.yellow.close()
                raise
        except BaseException:
            self.green.close()
            raise

    def show(self, leds: LedsChanged, now: float) -> None:
        for device, pattern in (
            (self.green, leds.green),
            (self.yellow, leds.yellow),
            (self.red, leds.red),
        ):
            device.value = 1 if led_is_lit(pattern, now) else 0

    def lit(self) -> tuple[bool, bool, bool]:
        return bool(self.green.value), bool(self.yellow.value), bool(self.red.value)

    def close(self) -> None:
        for device in (self.green, self.yellow, self.red):
            try:
                device.off()
            finally:
                device.close()


async def run_led_driver(
    bank: LedBank | None,
    patterns_recv: trio.MemoryReceiveChannel[LedsChanged],
    *,
    initial: LedsChanged,
    on_change: Callable[[LedsChanged], None] | None = None,
) -> None:
    """Show the latest pattern from ``patterns_recv`` on ``bank`` until cancelled or closed."""
    leds = initial
    while True:
        now = trio.current_time()
        if bank is not None:
            bank.show(leds, now)
        with trio.move_on_at(next_toggle(leds, now)):
            try:
                new = await patterns_recv.receive()
            except trio.EndOfChannel:
                return
            if new != leds:
                leds = new
                if on_change is not None:
                    on_change(leds)
