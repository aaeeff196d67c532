"""A second ``run`` on the same data or runtime directory refuses with one line, exit 2 (14.12)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parent))

from sup_helpers import CLI, ROOT, appliance_config, start_run

pytestmark = pytest.mark.devnet

ENV = dict(os.environ, GPIOZERO_PIN_FACTORY="mock")


def _second(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "run", "--config", str(config)],
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _quiet_run(config: Path) -> subprocess.Popen:
    return start_run(config, ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_a_second_run_on_the_same_directories_refuses(devnet, tmp_path: Path) -> None:
    config = await appliance_config(devnet, tmp_path)
    text = config.read_text()
    data, run_dir = tmp_path / "data", tmp_path / "run"
    first = _quiet_run(config)
    try:
        lock = data / "arb-appliance.lock"
        await _holds(lock, first)

        same_data = tmp_path / "same-data.toml"
        same_data.write_text(text.replace(str(run_dir), str(tmp_path / "run-2")))
        same_runtime = tmp_path / "same-runtime.toml"
        same_runtime.write_text(text.replace(str(data), str(tmp_path / "data-2")))
        for cfg, busy in ((config, data), (same_data, data), (same_runtime, run_dir)):
            out = await trio.to_thread.run_sync(_second, cfg)
            lines = out.stderr.strip().splitlines()
            assert out.returncode == 2, out.stderr
            assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
            assert str(busy) in lines[0] and f"pid {first.pid}" in lines[0], lines[0]
        assert first.poll() is None  # the first one was not disturbed
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)
    # Once the first has stopped, the directories are free again (the kernel dropped the lock).
    again = _quiet_run(config)
    try:
        await _holds(lock, again)
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0


async def _holds(lock: Path, proc: subprocess.Popen) -> None:
    with trio.fail_after(120):  # a hang guard
        while not (lock.exists() and lock.read_text().strip() == str(proc.pid)):
            assert proc.poll() is None, "the run exited instead of taking the lock"
            await trio.sleep(0.05)
