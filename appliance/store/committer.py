"""Committing the store's batches, and what happens when the disk is full.

A commit that fails because ``data_dir`` is full (``SQLITE_FULL`` / ``ENOSPC``) does not end the
store task (it used to take the whole supervisor down with a traceback). Instead:

* every waiting :class:`~appliance.store.writer.WriteAhead` fails with the cause, so the executor
  sends nothing (a trade is never signed and sent without its row), and the written-ahead row of
  that refused trade is forgotten;
* the other rows are held in memory, in order, and committed first at the next attempt (each
  later batch, at most every ``commit_interval_s``); past :data:`HELD_MAX_ROWS` the bulk rows of
  the oldest held batches (reserves, blocks, opportunities) are dropped, counted and logged, so a
  long outage cannot exhaust the board's memory, while trades, modes, alerts and state stay;
* the fault is announced once: ``FaultChanged(STORAGE_FAULT, True, cause)`` (red LED; the
  supervisor also holds the mode at PAUSED) and ``AlertRaised`` (CRITICAL, the screen's last
  alert); both cleared once a commit succeeds again.

Events go out with ``send_nowait`` (the store never waits on the bus that feeds it).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import trio

from appliance.events import AlertRaised, FaultChanged, Priority
from appliance.store.errors import StoreError
from appliance.store.preflight import is_disk_full
from appliance.store.recorder import Batch, Recorder

__all__ = ["HELD_MAX_ROWS", "STORAGE_FAULT", "Committer"]

log = logging.getLogger(__name__)

STORAGE_FAULT = "storage:journal"
HELD_MAX_ROWS = 200_000
_BULK = ("reserves", "blocks", "opportunities", "decisions")


class Committer:
    """Owned by the store task. ``events_send`` (optional) reaches the bus: hw, alerts, risk."""

    def __init__(self, recorder: Recorder, events_send: trio.MemorySendChannel | None) -> None:
        self.recorder = recorder
        self.events_send = events_send
        self.held: list[Batch] = []
        self.fault: str | None = None
        self.dropped = 0

    def pending(self) -> bool:
        return bool(self.held)

    async def commit(self, *, urgent_only: bool = False) -> None:
        """Commit what is held, then the recorder's batch (``urgent_only``: only its trades,
        mode changes and waiters). Raises StoreError unless disk full."""
        self.held.append(self.recorder.take_batch(urgent_only=urgent_only))
        try:
            while self.held:
                batch = self.held[0]
                await trio.to_thread.run_sync(self.recorder.commit, batch)
                self.held.pop(0)
                release(batch, None)
        except BaseException as exc:
            if isinstance(exc, Exception) and is_disk_full(exc):
                self._on_full(exc)
                return
            for batch in self.held:
                release(batch, f"{type(exc).__name__}: {exc}")
            self.held.clear()
            if isinstance(exc, Exception):
                raise StoreError(f"journal commit failed: {exc}") from exc
            raise
        if self.fault is not None:
            self._clear()

    def maintenance_failed(self, exc: Exception) -> None:
        """A checkpoint or retention pass hit a full disk: the same fault, nothing held."""
        self._raise(f"storage.data_dir is full: journal maintenance failed ({exc})")

    # ------------------------------------------------------------------------------ internals
    def _on_full(self, exc: Exception) -> None:
        text = f"storage.data_dir is full: the journal cannot be written ({exc}); trading paused"
        for batch in self.held:
            refused = [w for w in batch.waiters if hasattr(w, "trade")]
            for waiter in refused:
                self.recorder.forget_trade(batch, waiter.trade)
            release(batch, text)
            batch.waiters.clear()
            batch.durable = False
        self._trim()
        self._raise(text)

    def _trim(self) -> None:
        total = sum(len(b) for b in self.held)
        for batch in self.held:
            if total <= HELD_MAX_ROWS:
                break
            for name in _BULK:
                rows = getattr(batch, name)
                total -= len(rows)
                self.dropped += len(rows)
                rows.clear()
        if self.dropped:
            log.warning(
                "store: disk full: %d bulk rows (reserves, blocks, opportunities) dropped so far",
                self.dropped,
            )

    def _raise(self, text: str) -> None:
        if self.fault is not None:
            return
        self.fault = text
        log.error("store: %s", text)
        self._emit(FaultChanged(STORAGE_FAULT, True, text), Priority.CRITICAL, text)

    def _clear(self) -> None:
        text = "storage: the journal is writable again"
        if self.dropped:
            text += f" ({self.dropped} bulk rows were dropped while the disk was full)"
        log.warning("store: %s", text)
        self.fault, self.dropped = None, 0
        self._emit(FaultChanged(STORAGE_FAULT, False, text), Priority.WARNING, text)

    def _emit(self, fault: FaultChanged, priority: Priority, text: str) -> None:
        alert = AlertRaised(time.time(), priority, STORAGE_FAULT, text)
        if self.events_send is None:
            self.recorder.handle(alert)  # no bus: show it on the state file directly
            return
        for event in (fault, alert):
            try:
                self.events_send.send_nowait(event)
            except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                log.warning("store: could not deliver %s", type(event).__name__)
                if isinstance(event, AlertRaised):
                    self.recorder.handle(event)


def release(batch: Batch, error: str | None) -> None:
    """Wake the batch's waiters (WriteAhead, Flush); ``error`` makes their ``wait()`` raise."""
    for waiter in batch.waiters:
        waiter.error = error
        event: Any = waiter.committed if hasattr(waiter, "committed") else waiter.done
        event.set()
