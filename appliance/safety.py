"""The safety latch: the one object every signing path consults, and the kill switch trips.

Why a latch file and not only the journal: the kill switch must take effect and be durable at
once, without waiting on any task (the store task may be busy or dead). ``trip()`` is synchronous,
thread-safe and idempotent: it sets a :class:`threading.Event` (checked by the executor right
before signing, even when the Trio loop is busy) and writes ``<data_dir>/emergency.latch`` with
fsync of the file and its directory, so the latch survives a restart and a power loss. Only
:meth:`rearm` — called by the deliberate long-hold re-arm on the box — removes it.

A write that fails (read-only or full data directory) never undoes the halt: it is logged at
CRITICAL, kept in :attr:`SafetyLatch.write_error` (the kill switch shows it as a fault: red LED,
state file, alert) and retried at the next press.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

from appliance.errors import ApplianceError

__all__ = ["SafetyLatch", "SigningHalted"]

LATCH_NAME = "emergency.latch"

log = logging.getLogger("appliance.safety")


class SigningHalted(ApplianceError):
    """Raised instead of signing when the latch is tripped; the order is dropped, never retried."""


class SafetyLatch:
    def __init__(self, data_dir: Path) -> None:
        self._path = Path(data_dir) / LATCH_NAME
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._info: dict[str, object] = {}
        self._write_error: str | None = None
        if self._path.exists():
            self._halt.set()
            try:
                self._info = json.loads(self._path.read_text() or "{}")
            except (OSError, ValueError):
                self._info = {"reason": "latch file present (unreadable)", "source": "startup"}

    @property
    def path(self) -> Path:
        return self._path

    @property
    def tripped(self) -> bool:
        return self._halt.is_set()

    @property
    def info(self) -> dict[str, object]:
        """When, why and by what the latch was tripped (empty when armed)."""
        return dict(self._info)

    @property
    def write_error(self) -> str | None:
        """Why the latch file could not be written (the halt holds anyway), or None."""
        return self._write_error

    def check(self) -> None:
        """Call right before signing: raises :class:`SigningHalted` when tripped."""
        if self._halt.is_set():
            raise SigningHalted(
                f"signing halted: kill switch latched ({self._info.get('reason', 'emergency')})"
            )

    def trip(self, reason: str, source: str) -> bool:
        """Latch EMERGENCY. Returns True when this call tripped it (False if already tripped)."""
        self._halt.set()  # first, before any I/O: signing stops now
        with self._lock:
            if self._info and self._write_error is None:
                return False
            newly = not self._info
            if newly:
                self._info = {"at": time.time(), "reason": reason, "source": source}
            try:
                self._persist(json.dumps(self._info).encode())
            except OSError as exc:
                self._write_error = f"{self._path}: {exc.strerror or exc}"
                log.critical(
                    "kill switch latch NOT written (%s): signing is halted in this process, but "
                    "a restart would not remember the press: fix the data directory",
                    self._write_error,
                )
            else:
                self._write_error = None
            return newly

    def rearm(self) -> None:
        """Remove the latch (the deliberate long-hold re-arm). Durable before it returns."""
        with self._lock:
            self._path.unlink(missing_ok=True)
            _fsync_dir(self._path.parent)
            self._info = {}
            self._write_error = None
            self._halt.clear()

    def _persist(self, payload: bytes) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self._path)
        _fsync_dir(self._path.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
