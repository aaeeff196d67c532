"""The demo's simulated kill switch off a Pi: the control file drives the mock pin, and the
production path (latch, debounce, the deliberate re-arm hold) does the rest (issue 24)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import trio
import trio.testing

from appliance.config.sections import HardwareConfig
from appliance.events import KillSwitchPressed, KillSwitchRearmed
from appliance.safety import SafetyLatch
from hw import run_hw
from hw.mock_switch import CONTROL_NAME, HELD, RELEASED, is_mock, write_control
from hw.pins import mock_factory

ROOT = Path(__file__).resolve().parents[3]
CFG = HardwareConfig(rearm_hold_s=5.0)


async def _start_hw(nursery, tmp_path: Path, factory, cfg=CFG):
    latch = SafetyLatch(tmp_path / "data")
    events: list = []
    events_send, events_recv = trio.open_memory_channel(math.inf)
    _mode_send, mode_recv = trio.open_memory_channel(math.inf)

    async def collect():
        async for e in events_recv:
            events.append(e)

    nursery.start_soon(collect)
    await nursery.start(
        lambda task_status: run_hw(
            cfg,
            latch=latch,
            pin_factory=factory,
            mode_recv=mode_recv,
            events_send=events_send,
            healthy=lambda: True,
            mock_control=tmp_path / CONTROL_NAME,
            task_status=task_status,
        )
    )
    return latch, events


async def test_press_then_deliberate_hold_rearms(tmp_path, autojump_clock) -> None:
    control = tmp_path / CONTROL_NAME
    async with trio.open_nursery() as nursery:
        latch, events = await _start_hw(nursery, tmp_path, mock_factory())
        assert control.read_text().strip() == RELEASED  # offered only on the mock
        write_control(control, HELD)
        await trio.sleep(0.3)
        write_control(control, RELEASED)
        await trio.sleep(0.5)
        assert latch.tripped and latch.path.exists()
        assert [e.source for e in events if isinstance(e, KillSwitchPressed)] == ["gpio"]
        write_control(control, HELD)  # the deliberate hold
        await trio.sleep(CFG.rearm_hold_s + 1.0)
        write_control(control, RELEASED)
        await trio.sleep(0.5)
        await trio.testing.wait_all_tasks_blocked()
        assert not latch.tripped and not latch.path.exists()
        assert [e for e in events if isinstance(e, KillSwitchRearmed)]
        nursery.cancel_scope.cancel()
    assert not control.exists()  # removed when the hardware task stops


def test_only_gpiozero_mock_factories_get_the_control() -> None:
    from gpiozero.pins.mock import MockFactory

    assert is_mock(mock_factory()) and is_mock(MockFactory())
    assert not is_mock(object())  # e.g. LGPIOFactory on a Pi: the file is never created


def _config(tmp_path: Path, rearm_hold_s: float) -> Path:
    text = (ROOT / "appliance/config/examples/devnet.toml").read_text()
    text = text.replace('data_dir = "devnet-data"', f'data_dir = "{tmp_path / "data"}"')
    text = text.replace('runtime_dir = "devnet-run"', f'runtime_dir = "{tmp_path}"')
    text = text.replace("[hardware]\n", f"[hardware]\nrearm_hold_s = {rearm_hold_s}\n")
    path = tmp_path / "arb.toml"
    path.write_text(text)
    return path


def _command(config: Path, action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", "mock-switch", action, "--config", str(config)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_command_presses_and_rearms_a_running_hw_task(tmp_path) -> None:
    config = _config(tmp_path, rearm_hold_s=1.0)
    refused = await trio.to_thread.run_sync(_command, config, "press")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "no simulated kill switch" in refused.stderr
    async with trio.open_nursery() as nursery:
        latch, events = await _start_hw(
            nursery, tmp_path, mock_factory(), HardwareConfig(rearm_hold_s=1.0)
        )
        pressed = await trio.to_thread.run_sync(_command, config, "press")
        assert pressed.returncode == 0, pressed.stderr
        with trio.fail_after(30):  # a hang guard
            while not [e for e in events if isinstance(e, KillSwitchPressed)]:
                await trio.sleep(0.02)
        assert latch.tripped
        held = await trio.to_thread.run_sync(_command, config, "hold")
        assert held.returncode == 0, held.stderr
        with trio.fail_after(30):
            while latch.tripped:
                await trio.sleep(0.02)
        nursery.cancel_scope.cancel()
