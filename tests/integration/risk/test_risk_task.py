"""run_risk under Trio with real memory channels: a result already sent always reaches the
breakers before the next candidates are gated, the state file survives a restart, the kill
switch is followed without any message."""

from __future__ import annotations

import dataclasses
import time

import trio

from appliance.config import AppConfig, ChainConfig, DexConfig, RiskConfig, TokensConfig
from appliance.events import (
    AlertRaised,
    BlockSeen,
    Candidate,
    CandidatesFound,
    Leg,
    ModeChanged,
    OrderApproved,
    OrderRejected,
    TradeStatus,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.risk import HealthReported, RiskStateFile, run_risk
from appliance.safety import SafetyLatch

BASE = "0x" + "11" * 20
MID = "0x" + "22" * 20
POOL_A, POOL_B = "0x" + "aa" * 20, "0x" + "bb" * 20
ETH = 10**18


def app_config(**risk) -> AppConfig:
    cfg = AppConfig(
        chain=ChainConfig(chain_id=31337, rpc=("http://127.0.0.1:8545",)),
        dex=(DexConfig(name="uni", factory="0x" + "cc" * 20),),
        tokens=TokensConfig(base=(BASE,)),
    )
    return dataclasses.replace(cfg, risk=dataclasses.replace(RiskConfig(), **risk))


SEVERAL_PER_BLOCK = app_config(max_orders_per_block=10, max_pending_trades=10)


def cand(block: int, i: int) -> Candidate:
    return Candidate(
        block=block,
        legs=(Leg(POOL_A, BASE, MID, 30), Leg(POOL_B, MID, BASE, 30)),
        base_token=BASE,
        amount_in=ETH // 10 + i,
        amount_out=ETH // 10 + i + ETH // 100,
        gas_estimate=150_000,
        gas_cost=ETH // 10_000,
    )


def batch(block: int, i: int) -> CandidatesFound:
    return CandidatesFound(block=block, candidates=(cand(block, i),), seen_at=time.monotonic())


def revert(order_id: str) -> TradeUpdated:
    return TradeUpdated(
        order_id, TradeStatus.REVERTED, Mode.NORMAL, gas_cost=ETH // 1000, reason="front-run"
    )


class Harness:
    """The channels around one run_risk, and the decisions it made, in order."""

    def __init__(self) -> None:
        self.cand_send, self.cand_recv = trio.open_memory_channel(16)
        self.res_send, self.res_recv = trio.open_memory_channel(16)
        self.in_send, self.in_recv = trio.open_memory_channel(16)
        self.orders_send, self.orders_recv = trio.open_memory_channel(16)
        self.rec_send, self.rec_recv = trio.open_memory_channel(256)
        self.dec_send, self.dec_recv = trio.open_memory_channel(64)
        self.records: list = []

    async def start(self, nursery, latch, state_file, cfg):
        nursery.start_soon(self._pump_orders)
        nursery.start_soon(self._pump_records)
        return await nursery.start(
            lambda task_status: run_risk(
                cfg,
                self.cand_recv,
                self.res_recv,
                self.orders_send,
                self.rec_send,
                latch=latch,
                state_file=state_file,
                inputs_recv=self.in_recv,
                inventory={BASE: 100 * ETH},
                tick_s=0.05,
                task_status=task_status,
            )
        )

    async def _pump_orders(self):
        async for order in self.orders_recv:
            await self.dec_send.send(order)

    async def _pump_records(self):
        async for record in self.rec_recv:
            self.records.append(record)
            if isinstance(record, OrderRejected):
                await self.dec_send.send(record)


async def test_reverts_open_the_breaker_before_the_next_batch_of_the_same_block(tmp_path):
    latch = SafetyLatch(tmp_path)
    store = RiskStateFile.in_dir(tmp_path)
    h = Harness()
    async with trio.open_nursery() as nursery:
        engine = await h.start(nursery, latch, store, SEVERAL_PER_BLOCK)
        await h.in_send.send(
            HealthReported(synced=True, healthy=True)
        )  # first start: PAUSED until healthy
        await h.in_send.send(BlockSeen(10, "0x" + "10" * 32, "0x" + "09" * 32, 0, 10**9))
        await h.cand_send.send(batch(10, 0))
        decisions = [await h.dec_recv.receive()]
        for i in range(1, 8):
            last = decisions[-1]
            if isinstance(last, OrderApproved):
                # the revert and the next candidates are queued in the same instant: the revert
                # must be applied first
                h.res_send.send_nowait(revert(last.order_id))
            h.cand_send.send_nowait(batch(10, i))
            decisions.append(await h.dec_recv.receive())
        approved = [d for d in decisions if isinstance(d, OrderApproved)]
        refused = [d.reason for d in decisions if isinstance(d, OrderRejected)]
        assert len(approved) == 5
        assert refused == ["breaker_open"] * 3
        assert engine.breakers.states["trade"] == "open" and engine.mode is Mode.PAUSED
        nursery.cancel_scope.cancel()
    alerts = [r for r in h.records if isinstance(r, AlertRaised)]
    assert [a.key for a in alerts] == ["breaker:trade"]
    saved = store.load()
    assert saved.clean_shutdown and saved.mode is Mode.PAUSED

    # restart: the breaker is still open, the state file said clean
    h2 = Harness()
    async with trio.open_nursery() as nursery:
        engine = await h2.start(nursery, SafetyLatch(tmp_path), store, SEVERAL_PER_BLOCK)
        assert not store.load().clean_shutdown  # running: a crash now would be unclean
        await h2.in_send.send(HealthReported(synced=True, healthy=True))
        await h2.cand_send.send(batch(11, 0))
        decision = await h2.dec_recv.receive()
        assert isinstance(decision, OrderRejected) and decision.reason == "breaker_open"
        nursery.cancel_scope.cancel()
    assert isinstance(h2.records[0], ModeChanged) and h2.records[0].source == "startup"


async def test_kill_switch_is_followed_without_a_message(tmp_path):
    latch = SafetyLatch(tmp_path)
    h = Harness()
    async with trio.open_nursery() as nursery:
        engine = await h.start(nursery, latch, None, app_config())
        latch.trip("GPIO17", "kill_switch")  # as the hw thread would
        with trio.fail_after(5):
            while engine.mode is not Mode.EMERGENCY:
                await trio.sleep(0.01)
        await trio.sleep(0.1)
        nursery.cancel_scope.cancel()
    changes = [r for r in h.records if isinstance(r, ModeChanged)]
    assert changes[-1].new is Mode.EMERGENCY and changes[-1].source == "kill_switch"


async def test_returns_when_the_candidates_channel_closes(tmp_path):
    store = RiskStateFile.in_dir(tmp_path)
    h = Harness()
    async with trio.open_nursery() as nursery:
        await h.start(nursery, SafetyLatch(tmp_path), store, app_config())
        await h.cand_send.aclose()
        with trio.fail_after(5):
            while not store.load().clean_shutdown:
                await trio.sleep(0.02)
        nursery.cancel_scope.cancel()


async def test_a_gas_balance_below_the_floor_alerts_and_pauses_then_recovers(tmp_path):
    """#14.10: the inventory task's InventoryObserved carries the account's gas balance."""
    from appliance.risk import InventoryObserved

    h = Harness()
    cfg = app_config(min_gas_balance_wei=ETH // 100)
    async with trio.open_nursery() as nursery:
        engine = await h.start(nursery, SafetyLatch(tmp_path), None, cfg)
        await h.in_send.send(HealthReported(synced=True, healthy=True))
        await h.in_send.send(InventoryObserved({BASE: 100 * ETH}, gas_balance_wei=ETH // 100 - 1))
        with trio.fail_after(5):
            while engine.mode is not Mode.PAUSED or not engine.breakers.any_open:
                await trio.sleep(0.01)
        await h.cand_send.send(batch(10, 0))
        decision = await h.dec_recv.receive()
        assert isinstance(decision, OrderRejected) and decision.reason == "breaker_open"
        await h.in_send.send(InventoryObserved({BASE: 100 * ETH}, gas_balance_wei=ETH))
        with trio.fail_after(5):
            while engine.mode is not Mode.NORMAL:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    alerts = [r.text for r in h.records if isinstance(r, AlertRaised)]
    assert any("gas balance 9999999999999999 wei below the floor" in t for t in alerts), alerts
