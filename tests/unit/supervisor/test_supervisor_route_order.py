"""The bus hands a block to the trading path before the journal (the plan's ROUTES order).

Every hand-over of the bus is a scheduling point: the receiver may run before the bus goes on.
A block's reserves reach the market (and a head the risk engine) before the store, so the
store's row-building and state-file publish never run between a block and its candidates.
"""

from __future__ import annotations

import trio

from appliance.bus import Subscriber, run_bus
from appliance.events import BlockSeen, ReservesUpdated
from appliance.supervisor import plan


class _Recorded:
    """A send end that notes the order of hand-overs (and takes everything)."""

    def __init__(self, name: str, order: list[tuple[str, str]]) -> None:
        self.name, self.order = name, order

    async def send(self, event) -> None:
        self.order.append((self.name, type(event).__name__))
        await trio.lowlevel.checkpoint()

    def send_nowait(self, event) -> None:
        self.order.append((self.name, type(event).__name__))


async def test_a_block_reaches_market_and_risk_before_the_store():
    order: list[tuple[str, str]] = []
    subscribers = [
        Subscriber(r.channel, _Recorded(r.channel, order), r.types, must=r.must)
        for r in plan.ROUTES
    ]
    send, recv = trio.open_memory_channel(8)
    head = BlockSeen(
        number=7, hash="0x" + "07" * 32, parent_hash="0x" + "06" * 32, timestamp=1, base_fee=None
    )
    async with trio.open_nursery() as nursery:
        nursery.start_soon(run_bus, recv, subscribers)
        async with send:
            await send.send(head)
            await send.send(ReservesUpdated(7, head.hash, {}, full=False))
    got = [name for name, kind in order if kind == "ReservesUpdated"]
    assert got.index("market") < got.index("store")
    seen = [name for name, kind in order if kind == "BlockSeen"]
    assert seen.index("market") < seen.index("risk-inputs") < seen.index("store")
