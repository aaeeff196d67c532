"""The kill switch pressed while a trade is in flight: nothing is signed after the press.

The press comes from gpiozero's MockFactory pin, in the middle of the order's simulation (the
pipeline is awaiting the node's ``eth_call`` answer). The latch trips in the pin callback; the
executor checks it right before signing, so the trade is dropped unsigned, nothing reaches
``eth_sendRawTransaction`` and the account's nonce does not move.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import trio
from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).parent))

from exec_helpers import exec_config, make_candidate, order_for, plant, start_execution

from appliance.chain.rpc import RpcClient
from appliance.events import TradeStatus
from hw.kill_switch import KillSwitch

pytestmark = pytest.mark.devnet


class PressDuringSimulation(RpcClient):
    """A real RPC client that presses the kill switch while the node answers the simulation."""

    def __init__(self, url: str, press) -> None:
        super().__init__(url)
        self._press = press
        self.methods: list[str] = []
        self.pressed = False

    async def call(self, method, params=()):
        self.methods.append(method)
        if method == "eth_call" and not self.pressed:
            self.pressed = True
            self._press()
        return await super().call(method, params)

    async def batch(self, requests):  # the simulation rides one batch with the head and estimate
        self.methods.extend(method for method, _ in requests)
        if any(method == "eth_call" for method, _ in requests) and not self.pressed:
            self.pressed = True
            self._press()
        return await super().batch(requests)


async def test_press_during_simulation_stops_signing(chain, journal, latch) -> None:
    dn, executor, _flash = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    cfg = exec_config(dn, executor)
    sender = dn.accounts["appliance"].address
    nonce_before = int(await dn.call("eth_getTransactionCount", [sender, "pending"]), 16)

    factory = MockFactory()
    switch = KillSwitch(latch, pin=17, pin_factory=factory)
    written: list = []

    async def write_ahead(update) -> None:
        written.append(update)

    orders_send, orders_recv = trio.open_memory_channel(1)
    results_send, results_recv = trio.open_memory_channel(16)
    async with (
        PressDuringSimulation(dn.rpc, factory.pin(17).drive_low) as rpc,
        trio.open_nursery() as nursery,
    ):
        await start_execution(
            nursery, cfg, rpc, orders_recv, results_send, latch=latch, write_ahead=write_ahead
        )
        await orders_send.send(order_for(cand))
        with trio.fail_after(30):
            update = await results_recv.receive()
        nursery.cancel_scope.cancel()
    switch.close()

    assert rpc.pressed and latch.tripped
    assert update.status is TradeStatus.DROPPED
    assert update.reason.startswith("kill_switch")
    assert update.tx_hash is None
    assert written == []  # nothing signed, so nothing written ahead
    assert "eth_sendRawTransaction" not in rpc.methods
    nonce_after = int(await dn.call("eth_getTransactionCount", [sender, "pending"]), 16)
    assert nonce_after == nonce_before
