"""Supervisor figures (issue 8). Prints, does not assert.

1. kill switch ``drive_low()`` -> signing refused and -> EMERGENCY, p50/p99 (in-process supervisor
   on a devnet, gpiozero MockFactory; re-armed between presses without the 5 s hold);
2. start -> READY (``arb-appliance run`` as a process, sd_notify socket);
3. RSS and CPU of ``arb-appliance run`` while trading on a devnet with 1 s blocks, at 500 and
   2,000 pools (``--minutes``, default 10; the devnet and its simulator run in another process).

Usage: python tests/bench/bench_supervisor.py [--presses 200] [--minutes 10] [--pools 500 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import trio
from gpiozero.pins.mock import MockFactory

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/integration/supervisor"))
CLI = [sys.executable, "-m", "appliance"]
KILL_PIN = 17


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def bench_kill_switch(presses: int) -> None:
    from sup_helpers import appliance_config

    from appliance.config import load_config
    from appliance.devnet import start_devnet
    from appliance.modes import Mode
    from appliance.risk.inputs import RearmRequested  # noqa: F401 - documents the re-arm path
    from appliance.safety import SigningHalted
    from appliance.supervisor import run_supervisor

    refused, emergency = [], []

    class StampedEvent(threading.Event):
        """The latch's halt event, stamping the instant it is set (= signing refused)."""

        stamp = 0.0

        def set(self) -> None:
            StampedEvent.stamp = time.perf_counter()
            super().set()

    with tempfile.TemporaryDirectory() as tmp, start_devnet(seed=1, block_time=1.0) as dn:

        async def main() -> None:
            cfg = load_config(await appliance_config(dn, Path(tmp)))
            factory = MockFactory()
            pin = factory.pin(KILL_PIN)
            async with trio.open_nursery() as nursery:
                sup = await nursery.start(
                    lambda task_status: run_supervisor(
                        cfg, pin_factory=factory, task_status=task_status
                    )
                )
                await sup.ready.wait()
                sup.latch._halt = StampedEvent()  # bench seam: observe the set() itself
                for _ in range(presses):
                    t0 = time.perf_counter()
                    pin.drive_low()
                    try:
                        sup.latch.check()
                    except SigningHalted:
                        refused.append(StampedEvent.stamp - t0)
                    while sup.risk.mode is not Mode.EMERGENCY:
                        await trio.sleep(0)
                    emergency.append(time.perf_counter() - t0)
                    pin.drive_high()
                    await trio.sleep(0.06)  # past the debounce
                    sup.latch.rearm()  # the bench skips the 5 s hold; the engine notices the re-arm
                    while sup.risk.mode is Mode.EMERGENCY:
                        await trio.sleep(0.01)
                nursery.cancel_scope.cancel()

        trio.run(main)
    ms = lambda v: f"{v * 1e3:.3f} ms"  # noqa: E731
    print(
        f"kill switch drive_low -> signing refused: p50 {ms(pct(refused, 50))}  p99 {ms(pct(refused, 99))}  (goal p99 <= 1 ms, n={len(refused)})"
    )
    print(
        f"kill switch drive_low -> mode EMERGENCY:  p50 {ms(pct(emergency, 50))}  p99 {ms(pct(emergency, 99))}  (n={len(emergency)})"
    )


def proc_rss_cpu(pid: int) -> tuple[int, float]:
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks


def bench_process(pools: int, minutes: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        devnet = subprocess.Popen(
            [*CLI, "devnet", "--block-time", "1", "--pools", str(pools), "--data-dir", tmp],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )
        try:
            doc = json.loads(_read_json(devnet))
            notify = Path(tmp) / "notify.sock"
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(notify))
            env = dict(os.environ, NOTIFY_SOCKET=str(notify), GPIOZERO_PIN_FACTORY="mock")
            t0 = time.perf_counter()
            run = subprocess.Popen(
                [*CLI, "run", "--config", doc["config_path"]],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            sock.settimeout(120)
            while b"READY=1" not in sock.recv(4096):
                pass
            ready_s = time.perf_counter() - t0
            _, cpu0 = proc_rss_cpu(run.pid)
            w0 = time.perf_counter()
            peak = 0
            while time.perf_counter() - w0 < minutes * 60:
                time.sleep(5)
                rss, _ = proc_rss_cpu(run.pid)
                peak = max(peak, rss)
            rss, cpu1 = proc_rss_cpu(run.pid)
            cpu_pct = 100 * (cpu1 - cpu0) / (time.perf_counter() - w0)
            status = subprocess.run(
                [*CLI, "status", "--json", "--config", doc["config_path"]],
                capture_output=True,
                text=True,
            )
            st = json.loads(status.stdout)
            run.send_signal(signal.SIGTERM)
            t1 = time.perf_counter()
            run.wait(30)
            stop_s = time.perf_counter() - t1
            print(
                f"{pools} pools, 1 s blocks: start -> READY {ready_s:.2f} s (goal <= 5 s); "
                f"after {minutes:g} min: RSS {rss / 2**20:.1f} MB (peak {peak / 2**20:.1f} MB; goal <= 150 MB at 2,000), "
                f"CPU {cpu_pct:.1f}% of one core (goal <= 25% at 500); SIGTERM -> exit {stop_s:.2f} s (goal <= 2 s); "
                f"head #{st.get('head_block')}, trades {st.get('trades')}"
            )
        finally:
            devnet.send_signal(signal.SIGINT)
            devnet.wait(30)


def _read_json(proc: subprocess.Popen) -> str:
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("}"):
            return "".join(lines)
    raise RuntimeError("devnet printed no JSON document")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presses", type=int, default=200)
    ap.add_argument("--minutes", type=float, default=float(os.environ.get("BENCH_MINUTES", 10)))
    ap.add_argument("--pools", type=int, nargs="*", default=[500, 2000])
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    bench_kill_switch(args.presses)
    for pools in args.pools:
        bench_process(pools, args.minutes)


if __name__ == "__main__":
    main()
