"""The real thing: ``arb-appliance ui`` in a real terminal (tmux, TERM=linux), read from the pane.

The data comes from the real store task, live: ``ui_feeder.py`` runs ``run_store`` with the
scenario's events and, like ``arb-appliance run``, takes SIGUSR1 as the software kill switch.
As on the appliance (``arb-appliance-ui.service``: ``User=arb-ui``, group read only), the screen
runs as an unprivileged user when the test runs as root, and the test checks in /proc that the
process holds no file open for writing and maps none writable. A second test drives the lead's
supervisor (``arb-appliance run`` on a devnet) instead of the feeder, once it exists.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from ui_tmux import Tmux, open_files, open_for_writing, writable_mappings

ROOT = Path(__file__).resolve().parents[2]
ARB = Path(sys.executable).with_name("arb-appliance")
FEEDER = Path(__file__).with_name("ui_feeder.py")
NOBODY = 65534

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (make setup)"),
]


def _config(base: Path, data: Path, run: Path) -> Path:
    path = base / "arb-appliance.toml"
    path.write_text(
        '[chain]\nchain_id = 31337\nrpc = ["http://127.0.0.1:9"]\n\n'
        '[[dex]]\nname = "uniswap"\nfactory = "0x0000000000000000000000000000000000000101"\n\n'
        '[tokens]\nbase = ["0x0000000000000000000000000000000000000001"]\n\n'
        f'[storage]\ndata_dir = "{data}"\nruntime_dir = "{run}"\n\n'
        "[risk]\ndaily_loss_wei = 50000000000000000\n\n[hardware]\nrearm_hold_s = 5.0\n"
    )
    path.chmod(0o644)
    return path


@pytest.fixture
def world():
    base = Path(tempfile.mkdtemp(prefix="arb-ui-tmux-"))
    base.chmod(0o755)  # the unprivileged screen must reach the files (as arb-ui does via group arb)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _relaid_out(width: int):
    """True once the app has redrawn for ``width`` columns (a full-width box's corner there)."""

    def check(text: str) -> bool:
        return any(
            line.startswith("+-") and len(line.rstrip()) == width for line in text.splitlines()
        )

    return check


def _ui_command(config: Path, *extra: str) -> str:
    drop = ""
    if os.geteuid() == 0 and shutil.which("setpriv"):
        drop = f"setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups "
    return f"exec env TERM=linux PYTHONDONTWRITEBYTECODE=1 {drop}{ARB} ui --config {config} {' '.join(extra)}"


def test_ui_tmux_live_emergency_and_not_running(world):
    data, run = world / "data", world / "run"
    feeder = subprocess.Popen(
        [sys.executable, str(FEEDER), str(data), str(run)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    tmux = None
    try:
        assert feeder.stdout.readline().strip() == "ready"
        config = _config(world, data, run)
        tmux = Tmux(world / "tmux.sock", 80, 25, _ui_command(config, "--kiosk"))

        text = tmux.wait_for("N O R M A L", "head #1011")
        assert "trading (paper)" in text
        assert "P&L today +0.007860 WETH" in text
        assert "Kill switch: armed" in text
        assert "127.0.0.1:8545" in text and "WETH>USDC>WETH" in text
        assert "NOT LIVE" not in text and "STALE" not in text
        assert text.isascii(), sorted({ch for ch in text if not ch.isascii()})

        pid = tmux.pane_pid()
        assert "arb-appliance" in Path(f"/proc/{pid}/cmdline").read_text()
        assert {"journal.sqlite", "state.bin"} <= open_files(pid)  # the probe sees the data files
        if os.geteuid() == 0 and shutil.which("setpriv"):
            assert open_for_writing(pid) == []
            assert writable_mappings(pid, str(world)) == []
        else:  # as the files' owner SQLite may open -wal/-shm read-write: check the rest only
            assert [
                f for f in open_for_writing(pid) if not f.split(" ")[0].endswith(("-wal", "-shm"))
            ] == []

        tmux.send("3")
        tmux.wait_for("3:HEALTH", "daily loss 0.0000 / 0.0500 WETH", "CPU 12.5%", "breakers all OK")
        tmux.send("q")  # kiosk: quit is disabled; the next key proves "q" was handled
        tmux.send("1")
        tmux.wait_for("1:OVERVIEW")
        assert "q:quit" not in tmux.capture()
        assert Path(f"/proc/{pid}").exists()

        tmux.resize(60, 20)
        text = tmux.wait_for("N O R M A L", check=_relaid_out(60))  # the narrow layout
        lines = text.splitlines()
        assert len(lines) <= 20 and all(len(line) <= 60 for line in lines)
        assert "age " in text and "P&L today +0.007860" in text

        feeder.send_signal(signal.SIGUSR1)  # what `run` does on SIGUSR1, journaled by the store
        assert feeder.stdout.readline().strip() == "emergency"
        text = tmux.wait_for("E M E R G E N C Y", "LATCHED")
        assert "hold the switch 5 s" in " ".join(text.split())  # wrapped at 60 columns
        assert "N O R M A L" not in text

        feeder.kill()  # the supervisor dies: the screen must stop claiming anything is live
        feeder.wait()
        text = tmux.wait_for("SUPERVISOR NOT RUNNING")
        assert "[STALE]" in text and "E M E R G E N C Y" not in text
    finally:
        if tmux is not None:
            tmux.kill()
        if feeder.poll() is None:
            feeder.kill()
            feeder.wait()


@pytest.mark.devnet
@pytest.mark.devnet_options(block_time=1.0)
@pytest.mark.skipif(
    importlib.util.find_spec("appliance.commands.run") is None,
    reason="`arb-appliance run` is not available yet (the supervisor, issue of the lead)",
)
def test_ui_tmux_follows_run_to_emergency_on_sigusr1(fresh_devnet, tmp_path):
    import trio

    from appliance.devnet.executor import install_executor

    trio.run(install_executor, fresh_devnet)  # `run` refuses to start without an executor
    config = fresh_devnet.config_path
    env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock"}
    log = open(tmp_path / "run.log", "w")  # noqa: SIM115 - closed in finally
    supervisor = subprocess.Popen(
        [str(ARB), "run", "--config", str(config)], stdout=log, stderr=log, env=env, cwd=ROOT
    )
    tmux = Tmux(tmp_path / "tmux.sock", 80, 25, f"exec env TERM=linux {ARB} ui --config {config}")
    try:
        text = tmux.wait_for("head #", "Kill switch: armed", timeout=120)
        assert "NOT LIVE" not in text and "SUPERVISOR NOT RUNNING" not in text
        supervisor.send_signal(signal.SIGUSR1)
        text = tmux.wait_for("E M E R G E N C Y", "LATCHED", timeout=60)
        assert text.isascii()
        # the alert the supervisor raised for it, journaled (no webhook is configured)
        tmux.send("3")
        tmux.wait_for("3:HEALTH", "CRIT", "KILL SWITCH pressed (sigusr1)", timeout=60)
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=60)
        tmux.wait_for("SUPERVISOR NOT RUNNING", timeout=60)
    finally:
        tmux.kill()
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        log.close()
