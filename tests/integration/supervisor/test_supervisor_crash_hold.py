"""A subsystem that crashed repeatedly holds trading at PAUSED with its reason, and recovers by
itself once it has run cleanly (14.6): real ``supervised`` + the supervisor's ``CrashHolds`` +
the real risk task."""

from __future__ import annotations

import dataclasses
import math

import trio

from appliance.config import AppConfig, ChainConfig, DexConfig, RiskConfig, TokensConfig
from appliance.events import AlertRaised, FaultChanged, ModeChanged, Priority
from appliance.modes import Mode
from appliance.risk import HealthReported, RiskStateFile, run_risk
from appliance.safety import SafetyLatch
from appliance.supervision import CrashPolicy, supervised
from appliance.supervisor.holds import CrashHolds

BASE = "0x" + "11" * 20
STABLE_S = 1.0


def _cfg() -> AppConfig:
    return AppConfig(
        chain=ChainConfig(chain_id=31337, rpc=("http://127.0.0.1:8545",)),
        dex=(DexConfig(name="uni", factory="0x" + "cc" * 20),),
        tokens=TokensConfig(base=(BASE,)),
        risk=dataclasses.replace(RiskConfig()),
    )


async def test_crash_hold_pauses_with_its_reason_then_releases(tmp_path) -> None:
    # real time: the risk task saves its state in a worker thread (no autojump clock here)
    cand_send, cand_recv = trio.open_memory_channel(4)
    orders_send, _orders_recv = trio.open_memory_channel(4)
    inputs_send, inputs_recv = trio.open_memory_channel(64)
    hw_send, hw_recv = trio.open_memory_channel(math.inf)
    records_send, records_recv = trio.open_memory_channel(math.inf)
    holds = CrashHolds(inputs_send, hw_send, records_send)
    crashes = 0
    stamps: dict[str, float] = {}

    def unstable(name, exc):
        stamps.setdefault("unstable", trio.current_time())
        holds.unstable(name, exc)

    def recovered(name):
        stamps["recovered"] = trio.current_time()
        holds.recovered(name)

    async def flaky(*, task_status=trio.TASK_STATUS_IGNORED):
        nonlocal crashes
        task_status.started()
        if crashes < 3:
            crashes += 1
            await trio.sleep(0.01)
            raise RuntimeError("decode failed on block 12")
        await trio.sleep_forever()

    def modes() -> list[ModeChanged]:
        out = []
        while True:
            try:
                record = records_recv.receive_nowait()
            except trio.WouldBlock:
                return out
            seen.append(record)
            if isinstance(record, ModeChanged):
                out.append(record)

    seen: list = []
    async with trio.open_nursery() as nursery:
        engine = await nursery.start(
            lambda task_status: run_risk(
                _cfg(),
                cand_recv,
                None,
                orders_send,
                records_send,
                latch=SafetyLatch(tmp_path),
                state_file=RiskStateFile.in_dir(tmp_path),
                inputs_recv=inputs_recv,
                tick_s=0.05,
                task_status=task_status,
            )
        )
        await inputs_send.send(HealthReported(synced=True, healthy=True))
        with trio.fail_after(30):
            while engine.mode is not Mode.NORMAL:
                await trio.sleep(0.1)
        modes()  # the start-up records
        nursery.start_soon(
            lambda: supervised(
                "market",
                flaky,
                on_unstable=unstable,
                on_recovered=recovered,
                policy=CrashPolicy(base_s=0.05, max_crashes=3, stable_s=STABLE_S),
            )
        )
        changes: list[ModeChanged] = []
        with trio.fail_after(60):  # a hang guard; the records keep the order, however late we look
            while not any(m.new is Mode.PAUSED for m in changes):
                changes += modes()
                await trio.sleep(0.05)
        paused = [m for m in changes if m.new is Mode.PAUSED]
        assert paused and "market crashed repeatedly" in paused[-1].reason  # -> journal, screen
        assert "decode failed on block 12" in paused[-1].reason
        alert = next(a for a in seen if isinstance(a, AlertRaised) and a.key == "crashes:market")
        assert alert.priority is Priority.CRITICAL  # -> the state file's last alert
        assert hw_recv.receive_nowait() == FaultChanged(
            "crashes:market", True, alert.text
        )  # -> red LED
        with trio.fail_after(60):  # a hang guard
            while not changes or changes[-1].new is not Mode.NORMAL:
                changes += modes()
                await trio.sleep(0.05)
        assert "released" in changes[-1].reason
        # released only after the child ran cleanly for stable_s (a lower bound, never flaky)
        assert stamps["recovered"] - stamps["unstable"] >= STABLE_S
        assert hw_recv.receive_nowait() == FaultChanged("crashes:market", False)
        modes()
        assert engine.mode is Mode.NORMAL
        assert any(
            isinstance(a, AlertRaised) and a.key == "crashes:market" and "released" in a.text
            for a in seen
        )
        nursery.cancel_scope.cancel()
    del cand_send
