"""Restart a crashed subsystem with backoff; report repeated crashes, and the recovery.

A child that crashed ``max_crashes`` times within ``window_s`` is *unstable*: ``on_unstable`` is
called (the supervisor holds trading at PAUSED). It keeps being restarted; once an attempt has run
for ``stable_s`` without crashing, ``on_recovered`` is called (the supervisor releases the hold),
so a paused subsystem recovers by itself once healthy.

Why the channels are cloned per attempt: subsystems close the channel ends they own when they
exit (``async with recv:``). Handing each attempt fresh clones keeps the supervisor's originals
open, so a restarted child resumes on the same streams and no producer sees ``BrokenResourceError``.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import trio

from appliance.bus import Tee

__all__ = ["CrashPolicy", "supervised"]

log = logging.getLogger("appliance.supervisor")


@dataclass
class CrashPolicy:
    """Backoff between restarts and the threshold that declares a child unstable."""

    base_s: float = 0.5
    max_s: float = 30.0
    window_s: float = 300.0
    max_crashes: int = 3
    stable_s: float = 120.0  # an unstable child that runs this long cleanly has recovered
    crashes: list[float] = field(default_factory=list)

    def record(self, now: float) -> tuple[float, bool]:
        """Register a crash at ``now``: (delay before the restart, whether the child is unstable)."""
        self.crashes = [t for t in self.crashes if now - t <= self.window_s] + [now]
        n = len(self.crashes)
        delay = min(self.max_s, self.base_s * math.pow(2, n - 1)) * random.uniform(0.8, 1.2)
        return delay, n >= self.max_crashes


def _fresh(arg: Any) -> Any:
    if isinstance(arg, (trio.MemorySendChannel, trio.MemoryReceiveChannel, Tee)):
        return arg.clone()
    return arg


async def supervised(
    name: str,
    fn: Callable[..., Awaitable[Any]],
    *args: Any,
    on_unstable: Callable[[str, BaseException], Any],
    on_recovered: Callable[[str], Any] | None = None,
    policy: CrashPolicy | None = None,
    task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED,
    **kwargs: Any,
) -> None:
    """Run ``fn`` under ``nursery.start`` semantics; restart it with backoff when it crashes.

    The first start's value is passed to ``task_status``; a crash before the first ``started()``
    propagates (a subsystem that cannot start at all stops the supervisor with its reason).
    ``on_unstable(name, exc)`` is called (synchronously) when the child crashed ``max_crashes``
    times within ``window_s``; it keeps being restarted. ``on_recovered(name)`` is called once
    an attempt after that has run ``policy.stable_s`` without crashing.
    """
    policy = policy or CrashPolicy()
    first = True
    unstable = False

    async def recovered() -> None:
        nonlocal unstable
        await trio.sleep(policy.stable_s)
        unstable = False
        policy.crashes.clear()
        log.warning("subsystem %s ran cleanly for %.0f s: recovered", name, policy.stable_s)
        if on_recovered is not None:
            on_recovered(name)

    while True:
        try:
            async with trio.open_nursery() as nursery:
                value = await nursery.start(
                    _call,
                    fn,
                    [_fresh(a) for a in args],
                    {k: _fresh(v) for k, v in kwargs.items()},
                    nursery.cancel_scope,  # a child that returns stops the recovery timer
                )
                if first:
                    task_status.started(value)
                    first = False
                if unstable:
                    nursery.start_soon(recovered)
            return  # the child returned by itself: done
        except trio.Cancelled:
            raise
        except Exception as group:
            if first:
                raise
            exc = _leaf(group)  # the child's own error, not the nursery's wrapper
            delay, now_unstable = policy.record(time.monotonic())
            log.error(
                "subsystem %s crashed: %s: %s; restart in %.1fs",
                name,
                type(exc).__name__,
                exc,
                delay,
            )
            if now_unstable:
                unstable = True
                on_unstable(name, exc)
            await trio.sleep(delay)


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


async def _call(fn, args, kwargs, scope, *, task_status=trio.TASK_STATUS_IGNORED):
    await fn(*args, task_status=task_status, **kwargs)
    scope.cancel()
