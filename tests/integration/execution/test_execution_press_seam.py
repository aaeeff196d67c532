"""The kill switch pressed between the signature and the wire, on the real chain (issue 14.3).

1. The press lands while the SIGNED row is being made durable (inside the journal's fsync'd
   transaction), from another thread, through gpiozero's MockFactory pin: the transaction is
   signed but never sent; the node has nothing pending, the nonce did not move, and the journal
   row is dropped with the reason.
2. A trade already on the wire when the switch is pressed: the node then loses it (as a real
   node's pool may); the tracker, timing out again and again, neither rebroadcasts nor replaces
   nor cancels it: nothing reaches the node after the press.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, plant
from gpiozero.pins.mock import MockFactory

from appliance.events import TradeStatus, TradeUpdated
from hw.kill_switch import KillSwitch

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(120)]
PIN = 17


async def _pending_nonce(dn) -> int:
    return int(
        await dn.call("eth_getTransactionCount", [dn.accounts["appliance"].address, "pending"]), 16
    )


async def _pooled(dn) -> dict:
    return (await dn.call("txpool_content")).get("pending") or {}


def _press_from_another_thread(factory: MockFactory) -> None:
    presser = threading.Thread(target=factory.pin(PIN).drive_low, name="gpio-callback")
    presser.start()
    presser.join()


@contextmanager
def _kill_switch(latch) -> Iterator[MockFactory]:
    """A real KillSwitch on the latch, its pin on a MockFactory (given); closed at the end."""
    factory = MockFactory()
    switch = KillSwitch(latch, pin=PIN, pin_factory=factory)
    try:
        yield factory
    finally:
        switch.close()


async def _planted(chain):
    """A planted 2-pool dislocation: (devnet, executor, its candidate, the pending nonce)."""
    dn, inv, _ = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    return dn, inv, cand, await _pending_nonce(dn)


class PressDuringFsync(Harness):
    """The journal write-ahead, with the switch pressed from another thread mid-transaction."""

    def __init__(self, *args, factory: MockFactory, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.factory = factory
        self.pressed_during: list[TradeStatus] = []

    async def write_ahead(self, update: TradeUpdated) -> None:
        with self.journal.transaction(durable=True):  # commit + fsync at the end of the block
            self.journal.upsert_trade(update)
            if update.status is TradeStatus.SIGNED and not self.pressed_during:
                _press_from_another_thread(self.factory)
                self.pressed_during.append(update.status)
        self.write_ahead_rows.append(update)


async def test_press_during_the_write_ahead_fsync_sends_nothing(chain, journal, latch):
    dn, inv, cand, nonce_before = await _planted(chain)
    with _kill_switch(latch) as factory:
        h = PressDuringFsync(exec_config(dn, inv), journal, latch, factory=factory)
        async with trio.open_nursery() as nursery:
            await h.start(nursery)
            order = await h.send_order(cand)
            final = await h.until({TradeStatus.SENT, TradeStatus.DROPPED})
            await h.orders_send.aclose()
    assert h.pressed_during == [TradeStatus.SIGNED] and latch.tripped
    assert final.status is TradeStatus.DROPPED, final
    assert final.reason.startswith("kill_switch: signed but never sent"), final.reason
    assert [u.status for u in h.write_ahead_rows] == [TradeStatus.SIGNED, TradeStatus.DROPPED]
    assert await _pooled(dn) == {}  # nothing reached the node
    assert await _pending_nonce(dn) == nonce_before
    assert h.pipe.nonces.next == nonce_before  # the unsent nonce was given back
    assert h.pipe.stats.sends_held == 1
    row = journal.trade(order.order_id)
    assert row["status"] == "dropped" and row["reason"].startswith("kill_switch")
    assert row["tx_hash"] == final.tx_hash  # the signed hash stays on record


async def test_after_the_press_a_pending_trade_is_not_rebroadcast_or_replaced(
    chain, journal, latch
):
    dn, inv, cand, nonce_before = await _planted(chain)
    with _kill_switch(latch) as factory:
        h = Harness(exec_config(dn, inv, receipt_timeout_s=1), journal, latch)
        async with trio.open_nursery() as nursery:
            await h.start(nursery)
            await h.send_order(cand)
            sent = await h.until({TradeStatus.SENT, TradeStatus.DROPPED})
            assert sent.status is TradeStatus.SENT, sent.reason
            assert await _pooled(dn)  # on the wire before the press
            _press_from_another_thread(factory)
            await dn.call("anvil_dropAllTransactions")  # the node loses it
            with trio.fail_after(60):
                while h.pipe.stats.sends_held < 3:  # three timeouts, each held by the latch
                    await trio.sleep(0.05)
            pooled = await _pooled(dn)
            nursery.cancel_scope.cancel()
    assert pooled == {}  # neither the original again, nor a replacement, nor a cancellation
    assert await _pending_nonce(dn) == nonce_before
    assert [u.tx_hash for u in h.write_ahead_rows] == [sent.tx_hash]  # nothing new was signed
