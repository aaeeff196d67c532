"""Benchmark of the status screen: RSS and CPU of a running ``arb-appliance ui`` at 4 Hz.

Goals (issue 9): RSS <= 80 MB; CPU <= 10 % of one core at 4 refreshes per second.

The screen runs in a real terminal (a private tmux server, 80x25, TERM=linux) against a live state
file and journal kept up to date by the real store task (``tests/ui/ui_feeder.py``). After a
warm-up, CPU time (utime + stime from /proc) and RSS are sampled over ~20 s.

    .venv/bin/python tests/bench/bench_ui.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "ui"))

from ui_tmux import Tmux  # noqa: E402

from appliance.sysinfo import process_cpu_seconds, rss_bytes  # noqa: E402

ARB = Path(sys.executable).with_name("arb-appliance")
WARMUP_S, MEASURE_S = 4.0, 20.0


def main() -> int:
    if shutil.which("tmux") is None:
        print("bench_ui: tmux is not installed (make setup installs it)", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="arb-ui-bench-"))
    feeder = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests/ui/ui_feeder.py"),
            str(base / "data"),
            str(base / "run"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    tmux = None
    try:
        if feeder.stdout.readline().strip() != "ready":
            print("bench_ui: the feeder did not start", file=sys.stderr)
            return 1
        cmd = (
            f"exec env TERM=linux {ARB} ui --refresh-hz 4 --config /nonexistent "
            f"--state {base / 'run/state.bin'} --journal {base / 'data/journal.sqlite'}"
        )
        tmux = Tmux(base / "tmux.sock", 80, 25, cmd)
        tmux.wait_for("N O R M A L", timeout=120)
        pid = tmux.pane_pid()
        started = time.monotonic()
        time.sleep(WARMUP_S)
        cpu0, t0 = process_cpu_seconds(pid), time.monotonic()
        peak = 0
        while time.monotonic() - t0 < MEASURE_S:
            peak = max(peak, rss_bytes(pid) or 0)
            time.sleep(0.5)
        cpu1, t1 = process_cpu_seconds(pid), time.monotonic()
        cpu_pct = 100.0 * (cpu1 - cpu0) / (t1 - t0)
        final = rss_bytes(pid) or 0
        startup = t0 - started
        print(
            f"bench_ui: arb-appliance ui at 4 Hz, 80x25, TERM=linux, measured over {t1 - t0:.1f} s"
        )
        print(
            f"  RSS      {final / 1e6:6.1f} MB   (peak {peak / 1e6:.1f} MB)   goal <= 80 MB   "
            f"{'OK' if peak <= 80e6 else 'OVER'}"
        )
        print(
            f"  CPU      {cpu_pct:6.2f} % of one core                goal <= 10 %     "
            f"{'OK' if cpu_pct <= 10 else 'OVER'}"
        )
        print(f"  cores    {os.cpu_count()} (other work on this machine inflates CPU figures)")
        print(f"  warm-up  {startup:.1f} s before measuring")
        return 0
    finally:
        if tmux is not None:
            tmux.kill()
        feeder.terminate()
        feeder.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
