"""A kill switch already held at start latches EMERGENCY before any network I/O (14.2, 14.13)."""

from __future__ import annotations

import logging
import re
import socket
import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parent))

from sup_helpers import appliance_config

from appliance.chain import ChainError
from appliance.config import load_config
from appliance.errors import first_appliance_error
from appliance.modes import Mode
from appliance.safety import SafetyLatch
from appliance.store.statefile import StateReader
from appliance.supervisor import run_supervisor
from appliance.supervisor.plan import CHILDREN
from hw import HELD_AT_START
from hw.pins import mock_factory

pytestmark = pytest.mark.devnet

KILL_PIN, RED_PIN = 17, 24


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


async def test_held_switch_latches_even_when_no_rpc_answers(devnet, tmp_path, caplog) -> None:
    """No endpoint answers, so the supervisor cannot get past the RPC pool: the latch and the
    kill switch's set-up still happened, i.e. before the network."""
    path = await appliance_config(devnet, tmp_path)
    path.write_text(
        re.sub(r"rpc = \[.*\]", f'rpc = ["http://127.0.0.1:{_dead_port()}"]', path.read_text())
    )
    cfg = load_config(path)
    factory = mock_factory()
    factory.pin(KILL_PIN).drive_low()  # the mushroom was engaged while the service was down
    switches = []
    with caplog.at_level(logging.WARNING), pytest.raises(BaseException) as info:
        await run_supervisor(cfg, pin_factory=factory, on_kill_switch=switches.append)
    assert isinstance(first_appliance_error(info.value), ChainError), info.value
    assert SafetyLatch(cfg.storage.data_dir).tripped  # durable: the next start is EMERGENCY
    assert switches, "the kill switch was not set up before the RPC pool"
    assert switches[0].latch.info["reason"].endswith(f"({HELD_AT_START})")
    presses = [r for r in caplog.records if "kill switch pressed" in r.getMessage()]
    assert len(presses) == 1 and HELD_AT_START in presses[0].getMessage()


async def test_held_switch_at_start_means_emergency_on_a_live_chain(devnet, tmp_path) -> None:
    cfg = load_config(await appliance_config(devnet, tmp_path))
    factory = mock_factory()
    factory.pin(KILL_PIN).drive_low()
    async with trio.open_nursery() as nursery:
        sup = await nursery.start(
            lambda task_status: run_supervisor(cfg, pin_factory=factory, task_status=task_status)
        )
        assert sup.latch.tripped
        assert sup.started[:2] == ["hw", "store"]
        assert factory.pin(RED_PIN).state  # EMERGENCY: red on
        with trio.fail_after(60):  # a hang guard
            while sup.risk.mode is not Mode.EMERGENCY:
                await trio.sleep(0.05)
        with trio.fail_after(60):
            while not StateReader(sup.state_path).snapshot().kill_switch:
                await trio.sleep(0.05)
        await sup.ready.wait()
        with trio.fail_after(60):
            while len(sup.started) < len(CHILDREN):
                await trio.sleep(0.05)
        assert sup.started == [c.name for c in CHILDREN]  # compose builds exactly the plan
        nursery.cancel_scope.cancel()
