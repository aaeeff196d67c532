"""Benchmark of the status screen: RSS and CPU of a running ``arb-appliance ui`` at 4 Hz.

Goals (issue 9): RSS <= 80 MB; CPU <= 10 % of one core at 4 refreshes per second.

The screen runs in a real terminal (a private tmux server, 80x25, TERM=linux) against a live state
file and journal kept up to date by the real store task (``tests/ui/ui_feeder.py``). After a
warm-up, CPU time (utime + stime from /proc) and RSS are sampled over ~20 s on each view (the
overview with its P&L and opportunity-rate sparklines, the health view with its latency
sparklines, the trading view's tables); ``--quick`` measures 5 s each.

    .venv/bin/python tests/bench/bench_ui.py [--quick]
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
VIEWS = (
    ("1", "overview", "1:OVERVIEW"),
    ("3", "health", "3:HEALTH"),
    ("2", "trading", "2:TRADING"),
)


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
        startup = time.monotonic() - started
        measure_s = 5.0 if "--quick" in sys.argv[1:] else MEASURE_S
        print(f"bench_ui: arb-appliance ui at 4 Hz, 80x25, TERM=linux, {measure_s:g} s per view")
        worst_cpu, worst_rss = 0.0, 0
        for key, view, marker in VIEWS:
            tmux.send(key)
            tmux.wait_for(marker, timeout=60)
            time.sleep(1.0)
            cpu0, t0 = process_cpu_seconds(pid), time.monotonic()
            peak = 0
            while time.monotonic() - t0 < measure_s:
                peak = max(peak, rss_bytes(pid) or 0)
                time.sleep(0.5)
            cpu1, t1 = process_cpu_seconds(pid), time.monotonic()
            cpu_pct = 100.0 * (cpu1 - cpu0) / (t1 - t0)
            worst_cpu, worst_rss = max(worst_cpu, cpu_pct), max(worst_rss, peak)
            print(f"  {view:<9} CPU {cpu_pct:6.2f} % of one core   RSS peak {peak / 1e6:6.1f} MB")
        print(
            f"  RSS      peak {worst_rss / 1e6:6.1f} MB   goal <= 80 MB   "
            f"{'OK' if worst_rss <= 80e6 else 'OVER'}"
        )
        print(
            f"  CPU      worst {worst_cpu:6.2f} % of one core   goal <= 10 %     "
            f"{'OK' if worst_cpu <= 10 else 'OVER'}"
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
