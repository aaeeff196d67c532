"""The record bus: one task that fans every status event out to the tasks that want it.

Producers (chain, market, risk, execution, hw) send to one channel; this task forwards each
event to its subscribers by type. Delivery differs by subscriber on purpose:

* ``must`` subscribers (the store) get every event with back-pressure: a trade row is never lost;
* ``best_effort`` subscribers (alerts, LEDs) get ``send_nowait``; when one is full the event is
  dropped for it alone and counted, so a slow webhook never stalls trading;
* ``observers`` are plain callables run inline (metrics): cheap and synchronous.

:class:`Tee` is the other fan-out: a send channel that delivers to several channels in the
sender's own task, for a latency-critical producer whose output also goes to the journal (the
market's candidates: to risk first, then to ``records``) — no relay task, no extra hop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import trio

__all__ = ["Subscriber", "Tee", "run_bus"]

log = logging.getLogger("appliance.bus")


@dataclass
class Subscriber:
    name: str
    send: trio.MemorySendChannel[Any]
    types: tuple[type, ...] | None = None  # None: every event
    must: bool = False
    dropped: int = field(default=0)

    def wants(self, event: Any) -> bool:
        return self.types is None or isinstance(event, self.types)


async def run_bus(
    records_recv: trio.MemoryReceiveChannel[Any],
    subscribers: Sequence[Subscriber],
    observers: Sequence[Callable[[Any], None]] = (),
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    task_status.started()
    async with records_recv:
        async for event in records_recv:
            for observe in observers:
                try:
                    observe(event)
                except Exception:  # an observer bug must not stop the bus
                    log.exception("observer %r failed on %s", observe, type(event).__name__)
            for sub in subscribers:
                if not sub.wants(event):
                    continue
                if sub.must:
                    await sub.send.send(event)
                    continue
                try:
                    sub.send.send_nowait(event)
                except trio.WouldBlock:
                    sub.dropped += 1
                    if sub.dropped in (1, 10, 100) or sub.dropped % 1000 == 0:
                        log.warning(
                            "bus: %s is slow, %d event(s) dropped for it", sub.name, sub.dropped
                        )
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    pass  # that subscriber is gone (restarting); the others carry on


class Tee:
    """A send channel that sends each value to ``first`` and then to each of ``rest``. It clones
    and closes like a memory channel, so :func:`appliance.supervision.supervised` hands each
    attempt of its producer fresh ends and a restart never closes the consumers' channels."""

    def __init__(self, first: trio.MemorySendChannel[Any], *rest: trio.MemorySendChannel[Any]):
        self._sends = (first, *rest)

    async def send(self, value: Any) -> None:
        for send in self._sends:
            await send.send(value)

    def clone(self) -> Tee:
        return Tee(*(s.clone() for s in self._sends))

    def close(self) -> None:
        for send in self._sends:
            send.close()

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> Tee:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
