"""The write-ahead seam to the store: ``write_ahead`` callables for :func:`run_execution`."""

from __future__ import annotations

from typing import Any

import trio

from appliance.events import TradeUpdated
from appliance.execution.pipeline import WriteAhead

__all__ = ["store_write_ahead"]


def store_write_ahead(store_send: trio.MemorySendChannel[Any]) -> WriteAhead:
    """Send each row to the store task as a ``WriteAhead`` and wait for its durable commit.

    Raises the store's ``WriteAheadFailed`` when the commit failed; the pipeline then drops the
    order without sending it.
    """
    from appliance.store.writer import WriteAhead as StoreWriteAhead

    async def write_ahead(update: TradeUpdated) -> None:
        request = StoreWriteAhead(update)
        await store_send.send(request)
        await request.wait()

    return write_ahead
