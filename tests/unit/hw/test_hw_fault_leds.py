"""The fault pattern of a supervisor that is down (``arb-appliance fault-leds``), on MockFactory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import trio
import trio.testing
from gpiozero.pins.mock import MockFactory

from appliance.config import HardwareConfig
from hw.fault import run_fault_leds
from hw.leds import SLOW_HALF_PERIOD_S

CFG = HardwareConfig()
ROOT = Path(__file__).resolve().parents[3]


async def _lit_over_time(latched: bool) -> list[tuple[bool, bool, bool]]:
    factory = MockFactory()
    seen = []
    async with trio.open_nursery() as nursery:
        bank = await nursery.start(
            lambda task_status: run_fault_leds(
                green=CFG.green_pin,
                yellow=CFG.yellow_pin,
                red=CFG.red_pin,
                pin_factory=factory,
                latched=latched,
                task_status=task_status,
            )
        )
        for _ in range(4):
            await trio.sleep(SLOW_HALF_PERIOD_S)
            await trio.testing.wait_all_tasks_blocked()
            seen.append(bank.lit())
        nursery.cancel_scope.cancel()
    assert not factory.pin(CFG.red_pin).state  # off again once stopped (released to systemd)
    return seen


async def test_red_blinks_while_down_and_is_steady_when_latched(autojump_clock) -> None:
    blinking = await _lit_over_time(latched=False)
    assert {g or y for g, y, _r in blinking} == {False}
    assert {r for _g, _y, r in blinking} == {True, False}  # blinking
    steady = await _lit_over_time(latched=True)
    assert [r for _g, _y, r in steady] == [True] * 4


def test_the_command_runs_on_a_broken_config_and_stops_on_sigterm(tmp_path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[chain\n")
    env = dict(os.environ, GPIOZERO_PIN_FACTORY="mock", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance", "fault-leds", "--config", str(bad)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not lines or "until it starts again" not in lines[-1]:
            line = proc.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        assert any("using the default pins" in x for x in lines), lines
        assert f"BCM{CFG.red_pin}" in lines[-1] and "blinking" in lines[-1]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
