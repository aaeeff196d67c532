"""The store's own requests and samples: records only the store task consumes.

They sit apart from :mod:`appliance.store.writer` (which re-exports them) so the recorder can
dispatch on their classes without importing the task that drives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import trio

from appliance.events import TradeUpdated
from appliance.store.errors import StoreError, WriteAheadFailed

__all__ = ["Flush", "SaveState", "SystemSampled", "WriteAhead"]


@dataclass(frozen=True, slots=True)
class SystemSampled:
    """Board health for the status screen (state file only, never journaled)."""

    at: float
    cpu_pct: float
    rss_bytes: int
    temp_c: float | None = None


@dataclass(frozen=True, slots=True)
class SaveState:
    """Persist a JSON-able value in the journal's ``state`` table (breaker/risk state)."""

    key: str
    value: Any


@dataclass(eq=False)
class WriteAhead:
    """A trade row that must be durable before its transaction is sent. Await :meth:`wait`."""

    trade: TradeUpdated
    committed: trio.Event = field(default_factory=trio.Event)
    error: str | None = None

    async def wait(self) -> None:
        await self.committed.wait()
        if self.error is not None:
            raise WriteAheadFailed(f"trade {self.trade.order_id!r} not journaled: {self.error}")


@dataclass(eq=False)
class Flush:
    """Commit everything received so far, durably; ``done`` is set after the commit."""

    done: trio.Event = field(default_factory=trio.Event)
    error: str | None = None

    async def wait(self) -> None:
        await self.done.wait()
        if self.error is not None:
            raise StoreError(f"flush failed: {self.error}")
