"""A bounded alert buffer that never blocks the producer and drops the least important first.

When full, the oldest alert of the lowest priority present is dropped to make room (drop-oldest
within drop-lowest-priority) — unless the newcomer is lower than everything queued: then it is the
one dropped. CRITICAL alerts
(kill switch, breakers) are never dropped for a lower one and may exceed the soft capacity up to
``hard_capacity``. Every drop is counted by the caller through the returned value.

It is shared by exactly two tasks of :func:`run_alerts` (the intake puts, one webhook's sender
gets), in one Trio thread: no locks are needed.
"""

from __future__ import annotations

from collections import deque

import trio

from appliance.events import AlertRaised, Priority

__all__ = ["AlertBuffer"]


class AlertBuffer:
    def __init__(self, capacity: int = 64, *, hard_capacity: int | None = None) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, not {capacity!r}")
        self.capacity = capacity
        self.hard_capacity = hard_capacity if hard_capacity is not None else capacity * 4
        self._queues: dict[Priority, deque[AlertRaised]] = {p: deque() for p in Priority}
        self._nonempty = trio.Event()
        self._put = trio.Event()

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def put(self, alert: AlertRaised) -> AlertRaised | None:
        """Queue ``alert``; return the alert dropped to make room (possibly ``alert``), or None."""
        dropped = None
        size = len(self)
        if size >= self.capacity:
            lowest = min((p for p, q in self._queues.items() if q), default=None)
            if lowest is not None and lowest <= alert.priority and lowest is not Priority.CRITICAL:
                dropped = self._queues[lowest].popleft()
            elif alert.priority is Priority.CRITICAL and size < self.hard_capacity:
                dropped = None  # CRITICAL goes over the soft capacity
            elif alert.priority is Priority.CRITICAL:
                dropped = self._queues[Priority.CRITICAL].popleft()  # the hard limit: oldest goes
            else:
                return alert
        self._queues[alert.priority].append(alert)
        self._nonempty.set()
        self._put.set()
        self._put = trio.Event()
        return dropped

    def peek(self) -> AlertRaised | None:
        """The alert :meth:`get_nowait` would return, left in place."""
        for priority in sorted(Priority, reverse=True):
            if self._queues[priority]:
                return self._queues[priority][0]
        return None

    async def wait_put(self) -> None:
        """Wait for the next :meth:`put`."""
        await self._put.wait()

    async def wait_nonempty(self) -> None:
        while not len(self):
            await self._nonempty.wait()

    def get_nowait(self) -> AlertRaised:
        for priority in sorted(Priority, reverse=True):
            if self._queues[priority]:
                alert = self._queues[priority].popleft()
                if not len(self):
                    self._nonempty = trio.Event()
                return alert
        raise trio.WouldBlock

    async def get(self) -> AlertRaised:
        """The most important, then the oldest, alert; waits while empty."""
        while not len(self):
            await self._nonempty.wait()
        return self.get_nowait()
