"""The kill switch: a momentary switch to GND (and SIGUSR1) that halts signing at once.

Why two halves. The *press* is handled synchronously in gpiozero's callback thread (or the thread
that delivered SIGUSR1): :meth:`SafetyLatch.trip` sets the halt event and fsyncs the latch file
before anything else runs, so the halt never waits on the Trio loop or on any task. Only then is
Trio told (``TrioToken.run_sync_soon``: non-blocking, thread- and signal-safe) so the mode machine
can record EMERGENCY.

The *re-arm* is a deliberate act (ISO 13850: releasing never resumes): a continuous hold of
``rearm_hold_s`` that starts only after the switch was released — the press that latched, still
held, never counts — and succeeds only when ``healthy()`` says so. Timing runs in a Trio task on
Trio's clock. Contact bounce is handled in software with ``bounce_s``:

* a release counts only once the switch stayed released for ``bounce_s`` (so a bounce of the
  latching press cannot fake "released, then held");
* during a hold, a release shorter than ``bounce_s`` is a bounce and does not cancel the hold;
* after a successful re-arm the switch is still held: falling edges are ignored until it has been
  released for ``bounce_s`` (release bounce must not re-trip), except that a press that then stays
  down for ``bounce_s`` is real and trips.

A busy loop must not fake a release: the edges queued while the task waited (e.g. on a full bus,
under emulation) are taken before any deadline, and a deadline is judged by the line's level as
read then. Without both, a press held down re-armed itself after ``rearm_hold_s`` whenever
forwarding the press took longer than ``bounce_s`` (seen on the arm64 guest of ``make
image-check``).

A switch already held when the kill switch is set up (a latching mushroom engaged while the
service was down) latches EMERGENCY at once, source ``held-at-start``. Every press logs exactly
one WARNING line naming its source (:func:`log_press`); a latch file that could not be written is
reported as the ``latch`` fault (red LED, state file, CRITICAL alert).

SIGUSR1 reaches :meth:`KillSwitch.press_from_software` through :mod:`hw.sigusr1` (a dedicated
``sigwait`` thread: no lock is ever taken in signal context).

gpiozero's own ``bounce_time`` is deliberately left unset: lgpio implements it as a stability
filter that delays the press report by ``bounce_s``, and a repeated trip is harmless (idempotent).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import trio
from gpiozero import Button

from appliance.events import (
    AlertRaised,
    FaultChanged,
    KillSwitchPressed,
    KillSwitchRearmed,
    Priority,
    RearmRefused,
)
from appliance.safety import SafetyLatch

__all__ = ["HELD_AT_START", "HoldFeedback", "KillSwitch", "Phase", "log_press"]

log = logging.getLogger(__name__)

PRESS_REASON = "kill switch pressed"
LATCH_SOURCE = "kill_switch"
HELD_AT_START = "held-at-start"


def log_press(source: str, newly: bool) -> None:
    """The one WARNING line of a press (GPIO, SIGUSR1 or a switch held at start)."""
    if newly:
        log.warning("kill switch pressed (source: %s): signing halted, EMERGENCY latched", source)
    else:
        log.warning("kill switch pressed (source: %s): already latched", source)


class Phase(enum.Enum):
    ARMED = "armed"  # not latched: a press trips
    LATCHED_WAIT_RELEASE = "latched-wait-release"  # latched; waiting for a stable release
    LATCHED_READY = "latched-ready"  # latched and released: a hold may start
    HOLDING = "holding"  # a re-arm hold is running
    REARMED_WAIT_RELEASE = "rearmed-wait-release"  # re-armed while still held


@dataclass(frozen=True, slots=True)
class HoldFeedback:
    """Internal to :mod:`hw`: the re-arm hold started (True) or ended (False), for the LEDs."""

    active: bool


@dataclass(frozen=True, slots=True)
class _Edge:
    pressed: bool


@dataclass(frozen=True, slots=True)
class _Press:
    source: str
    newly: bool
    at: float


class KillSwitch:
    """Kill switch on ``pin`` (None: software only, e.g. ``[hardware] enabled = false``).

    Construct inside Trio (it needs the loop's :class:`trio.lowlevel.TrioToken`), then run
    :meth:`run` in a task. :meth:`press_from_software` may be called from any thread.
    """

    def __init__(
        self,
        latch: SafetyLatch,
        *,
        pin: int | None,
        pull_up: bool = True,
        bounce_s: float = 0.05,
        rearm_hold_s: float = 5.0,
        pin_factory=None,
        trio_token: trio.lowlevel.TrioToken | None = None,
    ) -> None:
        self._latch = latch
        self._bounce_s = bounce_s
        self._rearm_hold_s = rearm_hold_s
        self._token = trio_token or trio.lowlevel.current_trio_token()
        self._send, self._recv = trio.open_memory_channel[object](math.inf)
        self._suppress_gpio_press = False  # set by the Trio side after a re-arm while held
        self.button: Button | None = None
        if pin is not None:
            # bounce_time deliberately None: see the module docstring. Holds are timed by our
            # Trio task; a short hold_time keeps gpiozero's hold thread from blocking close().
            self.button = Button(
                pin, pull_up=pull_up, bounce_time=None, hold_time=0.01, pin_factory=pin_factory
            )
            self.button.when_pressed = self._on_pin_pressed
            self.button.when_released = self._on_pin_released
            if self.button.is_pressed:  # engaged while we were down: a press, before any I/O
                self._press(HELD_AT_START)
        self.phase = Phase.LATCHED_WAIT_RELEASE if latch.tripped else Phase.ARMED

    @property
    def latch(self) -> SafetyLatch:
        return self._latch

    # ------------------------------------------------------------------ any thread
    def press_from_software(self, source: str = "sigusr1") -> bool:
        """The SIGUSR1 path: exactly the GPIO press path. Returns True when it tripped the latch."""
        return self._press(source)

    def _on_pin_pressed(self) -> None:  # gpiozero's callback thread
        if not self._suppress_gpio_press:
            self._press("gpio")
        self._post(_Edge(True))

    def _on_pin_released(self) -> None:  # gpiozero's callback thread
        self._post(_Edge(False))

    def announce(self, source: str, newly: bool, at: float) -> None:
        """A press that tripped the latch before this switch existed (e.g. an early SIGUSR1)."""
        self._post(_Press(source, newly, at))

    def _press(self, source: str) -> bool:
        reason = PRESS_REASON if source == "gpio" else f"{PRESS_REASON} ({source})"
        newly = self._latch.trip(reason, LATCH_SOURCE)  # halt first: no Trio, no task involved
        if newly or source != "gpio":  # a re-arm hold or a bounce while latched is no news
            log_press(source, newly)
            self._post(_Press(source, newly, time.time()))
        return newly

    def _post(self, msg: object) -> None:
        # When Trio is gone only the latch (already tripped) matters.
        with contextlib.suppress(trio.RunFinishedError):
            self._token.run_sync_soon(self._send.send_nowait, msg)

    def close(self) -> None:
        if self.button is not None:
            self.button.close()
            self.button = None

    # ------------------------------------------------------------------ Trio side
    def _level(self) -> bool:
        return bool(self.button is not None and self.button.is_pressed)

    async def run(
        self,
        events_send: trio.MemorySendChannel,
        *,
        healthy: Callable[[], bool],
        feedback: Callable[[object], None] | None = None,
    ) -> None:
        """Forward presses to ``events_send`` and run the re-arm state machine until cancelled.

        ``feedback`` receives :class:`HoldFeedback` and :class:`KillSwitchPressed` /
        :class:`KillSwitchRearmed` synchronously, so the LEDs follow without a round trip.
        """
        say = feedback or (lambda _msg: None)
        level = self._level()
        deadline = math.inf
        release_at: float | None = None  # HOLDING: a release edge not yet confirmed
        hold_start = 0.0
        confirm_press = False  # REARMED_WAIT_RELEASE: a press after a release, to confirm
        if self.phase is Phase.LATCHED_WAIT_RELEASE and not level:
            deadline = trio.current_time() + self._bounce_s

        def enter(phase: Phase) -> None:
            if self.phase is Phase.HOLDING and phase is not Phase.HOLDING:
                say(HoldFeedback(False))
            if phase is Phase.HOLDING:
                say(HoldFeedback(True))
            self.phase = phase

        while True:
            msg = None
            try:  # what is already queued comes first: a deadline set before it is stale
                msg = self._recv.receive_nowait()
            except trio.WouldBlock:
                with trio.move_on_at(deadline):
                    msg = await self._recv.receive()
            now = trio.current_time()
            if msg is None:  # a deadline: judge by the line as it is now, not by the edges seen
                level = self._level()
            # Resynchronise with a latch changed behind our back (restart, direct rearm).
            if self._latch.tripped and self.phase in (Phase.ARMED, Phase.REARMED_WAIT_RELEASE):
                self._suppress_gpio_press = False
                enter(Phase.LATCHED_WAIT_RELEASE)
                deadline = math.inf if level else now + self._bounce_s
            elif not self._latch.tripped and self.phase in (
                Phase.LATCHED_WAIT_RELEASE,
                Phase.LATCHED_READY,
                Phase.HOLDING,
            ):
                enter(Phase.ARMED)
                deadline = math.inf

            if isinstance(msg, _Press):
                event = KillSwitchPressed(at=msg.at, source=msg.source, newly_latched=msg.newly)
                say(event)
                await events_send.send(event)
                if self._latch.write_error is not None:
                    await self._report_write_error(events_send, say)
                if self.phase in (Phase.ARMED, Phase.REARMED_WAIT_RELEASE, Phase.HOLDING):
                    enter(Phase.LATCHED_WAIT_RELEASE)  # a software press also cancels a hold
                    deadline = math.inf if level else now + self._bounce_s
                continue
            if isinstance(msg, _Edge):
                level = msg.pressed
                if self.phase is Phase.LATCHED_WAIT_RELEASE:
                    deadline = math.inf if level else now + self._bounce_s
                elif self.phase is Phase.LATCHED_READY and level:
                    enter(Phase.HOLDING)
                    hold_start, release_at = now, None
                    deadline = now + self._rearm_hold_s
                elif self.phase is Phase.HOLDING:
                    if level:
                        release_at = None  # the release was a bounce
                        deadline = max(now, hold_start + self._rearm_hold_s)
                    else:
                        release_at = now
                        deadline = now + self._bounce_s
                elif self.phase is Phase.REARMED_WAIT_RELEASE:
                    confirm_press = level
                    deadline = now + self._bounce_s
                continue

            # ---- a deadline passed
            if self.phase is Phase.LATCHED_WAIT_RELEASE:
                if not level:
                    enter(Phase.LATCHED_READY)
                deadline = math.inf
            elif self.phase is Phase.HOLDING:
                if release_at is not None:  # released for bounce_s: the hold is cancelled
                    enter(Phase.LATCHED_READY)
                    deadline = math.inf
                elif level and now >= hold_start + self._rearm_hold_s:
                    deadline = math.inf
                    await self._complete_hold(now - hold_start, events_send, healthy, say, enter)
                else:
                    deadline = hold_start + self._rearm_hold_s
            elif self.phase is Phase.REARMED_WAIT_RELEASE:
                deadline = math.inf
                if not level:
                    self._suppress_gpio_press = False
                    enter(Phase.ARMED)
                elif confirm_press:  # pressed again after a release and stayed down: real
                    self._suppress_gpio_press = False
                    confirm_press = False
                    self._press("gpio")
            else:
                deadline = math.inf

    async def _report_write_error(self, events_send, say) -> None:
        text = f"kill switch latch file NOT written ({self._latch.write_error}): a restart would forget the press"
        fault = FaultChanged("latch", True, text)
        say(fault)
        await events_send.send(fault)
        await events_send.send(AlertRaised(time.time(), Priority.CRITICAL, "latch:write", text))

    async def _complete_hold(self, held_s, events_send, healthy, say, enter) -> None:
        try:
            ok = bool(healthy())
        except Exception as exc:  # a broken probe must never re-arm
            log.exception("re-arm refused: health probe failed")
            ok, why = False, f"health probe failed: {exc!r}"
        else:
            why = "the chain is not healthy"
        if not ok:
            log.warning("kill switch re-arm refused after a %.1f s hold: %s", held_s, why)
            enter(Phase.LATCHED_WAIT_RELEASE)  # release and hold again
            refused = RearmRefused(at=time.time(), reason=why)
            say(refused)
            await events_send.send(refused)
            return
        self._suppress_gpio_press = True  # before the latch opens: release bounce must not re-trip
        self._latch.rearm()
        enter(Phase.REARMED_WAIT_RELEASE)
        log.warning("kill switch re-armed by a %.1f s hold", held_s)
        rearmed = KillSwitchRearmed(at=time.time(), held_s=held_s)
        say(rearmed)
        await events_send.send(rearmed)
