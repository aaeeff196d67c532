"""The owner's first minute: ``arb-appliance demo`` in a real terminal (tmux, TERM=linux).

Starts the demo as a newcomer would (Anvil market, simulator, supervisor, status screen), and
fails on a traceback or an ERROR line anywhere: on the screen, in what the demo printed (the
pane's whole output, also what the full-screen app drew over), or in the supervisor's log. Along
the way it checks what the demo promises a newcomer: the config path and the one-line
``status`` command are printed and that command works against the running demo; the screen goes
live; the Alerts panel shows the alerts the appliance raised without any webhook configured;
``?`` opens the help; ``q`` ends the demo with nothing left behind.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from ui_tmux import Tmux, bad_lines, plain

ARB = Path(sys.executable).with_name("arb-appliance")

pytestmark = [
    pytest.mark.devnet,
    pytest.mark.timeout(420),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (make setup)"),
]


def _wait(predicate, timeout: float, what: str) -> None:
    """Wait for a state (generous: the machine is shared); not a timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"never happened within {timeout:g} s: {what}")


def test_ui_demo_first_minute_in_tmux():
    base = Path(tempfile.mkdtemp(prefix="arb-demo-tmux-"))
    data, out = base / "demo", base / "pane.log"
    tmux = Tmux(
        base / "tmux.sock",
        80,
        24,
        f"exec env TERM=linux GPIOZERO_PIN_FACTORY=mock {ARB} demo --data-dir {data}",
    )
    try:
        tmux.log_to(out)
        screens: list[str] = []
        text = tmux.wait_for("N O R M A L", "head #", timeout=240)  # live, trading (paper)
        screens.append(text)
        assert "NOT LIVE" not in text and "NOT RUNNING" not in text
        printed = plain(out.read_text(errors="replace"))
        config = re.search(r"^demo: config (\S+)$", printed, re.M)
        assert config, printed[-2000:]
        status_cmd = re.search(r"^demo:\s+(\S+ status --config \S+)", printed, re.M)
        assert status_cmd, printed[-2000:]
        assert "competitors" not in printed or "arb-appliance competitors" in printed

        # the printed one-liner works against the running demo (exit 0: the supervisor runs)
        status = subprocess.run(
            shlex.split(status_cmd.group(1)), capture_output=True, text=True, timeout=180
        )
        assert status.returncode == 0, status.stderr
        assert "mode           NORMAL" in status.stdout and "supervisor running" in status.stdout
        words = [
            line
            for line in status.stdout.splitlines()
            if line.startswith(("rpc ", "breakers ", "pnl today "))
        ]
        assert len(words) >= 3 and not any(" wei" in w or "open" in w for w in words), words

        # a minute of demo, looking at every view; the health view's alerts come from the
        # journal (the demo configures no webhook)
        deadline = time.monotonic() + 60
        alerts_seen = False
        while time.monotonic() < deadline:
            for key in ("1", "2", "3"):
                tmux.send(key)
                time.sleep(1.0)
                screens.append(tmux.capture())
            health = screens[-1]
            alerts = health[health.find("Alerts") :]
            alerts_seen = alerts_seen or ("mode " in alerts and "(no alerts raised)" not in alerts)
        assert alerts_seen, screens[-1]
        tmux.send("?")
        screens.append(tmux.wait_for("page 1/", "TRIPPED"))
        tmux.send("Escape")
        tmux.wait_for("1:Overview")

        for screen in screens:
            assert screen.isascii(), sorted({c for c in screen if not c.isascii()})
            assert bad_lines(screen) == [], screen

        tmux.send("q")  # the screen ends the demo: supervisor, simulator and Anvil stop
        _wait(tmux.dead, 120, "the demo exits after q")
        printed = plain(out.read_text(errors="replace"))
        assert "demo: stopped; no process left behind" in printed, printed[-3000:]
        assert bad_lines(printed) == []
        log = (data / "run.log").read_text(errors="replace")
        assert "Traceback" not in log and bad_lines(log) == [], "\n".join(bad_lines(log))
    finally:
        tmux.kill()
        shutil.rmtree(base, ignore_errors=True)
