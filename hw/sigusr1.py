"""SIGUSR1 as the kill switch, from the first line of ``main`` to the last.

Why a ``sigwait`` thread and not a signal handler. A Python signal handler runs in the main thread
between bytecodes — possibly while that thread holds a non-reentrant lock (``threading``'s own,
inside ``Thread.start()`` while Trio's thread cache spawns a worker; the latch's). A handler that
starts a thread or takes a lock there can deadlock, and the press is lost. Instead
:meth:`Sigusr1Switch.start` blocks SIGUSR1 in the calling thread — call it first, before any
other thread exists, so every later thread inherits the mask — and starts one daemon thread that
waits for it with :func:`signal.sigwait`. Nothing runs in signal context; a signal sent before the
thread waits stays pending and is taken as soon as it does.

A press trips the latch in that thread (halt first, then the fsynced file). While a
:class:`~hw.kill_switch.KillSwitch` is attached the press takes its path (the same as GPIO);
before that, the latch is tripped directly and the press is announced to the switch when it is
attached, so the journal, the alert and the screen learn of it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from appliance.safety import SafetyLatch
from hw.kill_switch import LATCH_SOURCE, PRESS_REASON, KillSwitch, log_press

__all__ = ["SOURCE", "Sigusr1Switch"]

SOURCE = "sigusr1"

log = logging.getLogger(__name__)


class Sigusr1Switch:
    def __init__(self, latch: SafetyLatch) -> None:
        self._latch = latch
        self._lock = threading.Lock()  # taken in ordinary threads only, never in signal context
        self._switch: KillSwitch | None = None
        self._unannounced: list[tuple[bool, float]] = []
        self._thread: threading.Thread | None = None
        self.presses = 0

    def start(self) -> Sigusr1Switch:
        """Block SIGUSR1 here (inherited by every thread started later) and start the waiter."""
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        self._thread = threading.Thread(target=self._wait, name="sigusr1-kill-switch", daemon=True)
        self._thread.start()
        return self

    def attach(self, kill_switch: KillSwitch) -> None:
        """Route presses through ``kill_switch`` from now on; announce the earlier ones to it."""
        with self._lock:
            self._switch = kill_switch
            for newly, at in self._unannounced:
                kill_switch.announce(SOURCE, newly, at)
            self._unannounced.clear()

    def detach(self) -> None:
        with self._lock:
            self._switch = None

    def press(self) -> bool:
        """One press (called by the waiter thread; callable from any ordinary thread)."""
        with self._lock:
            self.presses += 1
            switch = self._switch
            if switch is None:
                newly = self._latch.trip(f"{PRESS_REASON} ({SOURCE})", LATCH_SOURCE)
                log_press(SOURCE, newly)
                self._unannounced.append((newly, time.time()))
                return newly
        return switch.press_from_software(SOURCE)

    def _wait(self) -> None:
        while True:
            signal.sigwait({signal.SIGUSR1})
            try:
                self.press()
            except Exception:  # the waiter must outlive any failure: the next press matters
                log.exception("SIGUSR1 press failed")
