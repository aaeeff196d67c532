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


def _cfg() -> AppConfig:
    return AppConfig(
        chain=ChainConfig(chain_id=31337, rpc=("http://127.0.0.1:8545",)),
        dex=(DexConfig(name="uni", factory="0x" + "cc" * 20),),
        tokens=TokensConfig(base=(BASE,)),
        risk=dataclasses.replace(RiskConfig()),
    )


async def test_crash_hold_pauses_with_its_reason_then_releases(tmp_path, autojump_clock) -> None:
    cand_send, cand_recv = trio.open_memory_channel(4)
    orders_send, _orders_recv = trio.open_memory_channel(4)
    inputs_send, inputs_recv = trio.open_memory_channel(64)
    hw_send, hw_recv = trio.open_memory_channel(math.inf)
    records_send, records_recv = trio.open_memory_channel(math.inf)
    holds = CrashHolds(inputs_send, hw_send, records_send)
    crashes = 0

    async def flaky(*, task_status=trio.TASK_STATUS_IGNORED):
        nonlocal crashes
        task_status.started()
        if crashes < 3:
            crashes += 1
            await trio.sleep(1)
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
        nursery.start_soon(
            lambda: supervised(
                "market",
                flaky,
                on_unstable=holds.unstable,
                on_recovered=holds.recovered,
                policy=CrashPolicy(base_s=1.0, max_crashes=3, stable_s=120.0),
            )
        )
        with trio.fail_after(60):
            while engine.mode is not Mode.PAUSED:
                await trio.sleep(0.1)
        paused = [m for m in modes() if m.new is Mode.PAUSED]
        assert paused and "market crashed repeatedly" in paused[-1].reason  # -> journal, screen
        assert "decode failed on block 12" in paused[-1].reason
        alert = next(a for a in seen if isinstance(a, AlertRaised) and a.key == "crashes:market")
        assert alert.priority is Priority.CRITICAL  # -> the state file's last alert
        assert hw_recv.receive_nowait() == FaultChanged(
            "crashes:market", True, alert.text
        )  # -> red LED
        await trio.sleep(60)
        assert engine.mode is Mode.PAUSED  # not yet: it must have run cleanly for stable_s
        with trio.fail_after(200):
            while engine.mode is not Mode.NORMAL:
                await trio.sleep(0.5)
        assert hw_recv.receive_nowait() == FaultChanged("crashes:market", False)
        modes()
        assert any(
            isinstance(a, AlertRaised) and a.key == "crashes:market" and "released" in a.text
            for a in seen
        )
        nursery.cancel_scope.cancel()
    del cand_send
