"""Kill switch latency on gpiozero's MockFactory: drive_low() -> signing refused.

Run: .venv/bin/python tests/bench/bench_hw.py [--presses N] [--dir PATH]

Each press comes from a worker thread (as lgpio's callback thread would) and is followed by a
release and a re-arm. Figures (goal: p99 <= 1 ms for the halt):

* halt set: drive_low() -> the latch's threading.Event is set, from which every latch.check()
  raises (measured in the pressing thread; the event is stamped by bench instrumentation);
* halt seen by a concurrent signer thread: drive_low() -> another thread's latch.check() raises
  (the threading.Event is set before any I/O);
* press call returned, latch durable: drive_low() -> callback done (latch file + dir fsynced);
* EMERGENCY news in Trio: drive_low() -> KillSwitchPressed received by a Trio task;
* across threads, as on a Pi (issue 14.4): the press in a dedicated "GPIO callback" thread (where
  lgpio calls gpiozero's callback), the signer in another thread calling ``latch.check()`` in a
  loop, the Trio loop running in the main thread: drive_low() -> the signer's check() raises;
* SIGUSR1 across threads: ``os.kill(SIGUSR1)`` -> the sigwait thread (hw.Sigusr1Switch, as in
  ``arb-appliance run``) presses -> the looping signer's check() raises.

``make bench`` runs it with the defaults; ``--presses`` (or BENCH_PRESSES) shortens it.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import trio  # noqa: E402
from gpiozero.pins.mock import MockFactory  # noqa: E402

from appliance.safety import SafetyLatch, SigningHalted  # noqa: E402
from hw.kill_switch import KillSwitch  # noqa: E402
from hw.sigusr1 import Sigusr1Switch  # noqa: E402

GOAL_P99_MS = 1.0


class StampedEvent(threading.Event):
    """The latch's halt event, stamping when it is set (bench instrumentation only)."""

    def __init__(self) -> None:
        super().__init__()
        self.set_at = 0.0

    def set(self) -> None:
        self.set_at = time.perf_counter()
        super().set()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)]


def fs_type(path: Path) -> str:
    best, kind = "", "?"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            _dev, mnt, typ, *_ = line.split()
            if str(path).startswith(mnt) and len(mnt) > len(best):
                best, kind = mnt, typ
    except OSError:
        pass
    return kind


async def bench(presses: int, directory: Path) -> dict[str, list[float]]:
    factory = MockFactory()
    latch = SafetyLatch(directory)
    if latch.tripped:
        latch.rearm()
    halt = StampedEvent()
    latch._halt = halt  # instrumented (private attribute, swapped only in this bench)
    ks = KillSwitch(latch, pin=17, pin_factory=factory, bounce_s=0.05, rearm_hold_s=5.0)
    pin = factory.pin(17)
    events_send, events_recv = trio.open_memory_channel(math.inf)
    seen_at: list[float] = []
    armed = threading.Event()
    stop = threading.Event()

    def signer() -> None:
        # Stands for the executor checking the latch right before signing. It blocks on the
        # latch's own threading.Event (a private attribute, read here only to measure) instead
        # of spinning, so it does not steal the GIL from the pressing thread and skew the figure.
        while not stop.is_set():
            if not armed.wait(0.1):
                continue
            armed.clear()
            latch._halt.wait()
            try:
                latch.check()
            except SigningHalted:
                seen_at.append(time.perf_counter())

    def press() -> tuple[float, float]:
        t0 = time.perf_counter()
        pin.drive_low()
        return t0, time.perf_counter()

    thread = threading.Thread(target=signer, daemon=True)
    thread.start()
    out: dict[str, list[float]] = {"set": [], "seen": [], "durable": [], "trio": []}
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(ks.run, events_send, healthy=lambda: True))
        for _ in range(presses):
            armed.set()
            await trio.sleep(0.0005)  # let the signer thread block on the latch
            t0, t1 = await trio.to_thread.run_sync(press)
            await events_recv.receive()
            t3 = time.perf_counter()
            with trio.fail_after(5):
                while len(seen_at) < len(out["durable"]) + 1:
                    await trio.sleep(0)
            out["set"].append(halt.set_at - t0)
            out["seen"].append(seen_at[-1] - t0)
            out["durable"].append(t1 - t0)
            out["trio"].append(t3 - t0)
            try:
                latch.check()
                raise AssertionError("latch not tripped after a press")
            except SigningHalted:
                pass
            pin.drive_high()
            latch.rearm()  # the deliberate re-arm, done directly (a 5 s hold per press is too long)
        nursery.cancel_scope.cancel()
    stop.set()
    thread.join()
    ks.close()
    factory.close()
    return out


class LoopingSigner(threading.Thread):
    """Calls latch.check() in a loop (as a signer would before each signature) and stamps the
    first refusal after each arm()."""

    def __init__(self, latch: SafetyLatch) -> None:
        super().__init__(daemon=True, name="signer")
        self.latch = latch
        self.armed = threading.Event()
        self.refused_at = 0.0
        self.done = threading.Event()
        self.stop = False

    def run(self) -> None:
        while not self.stop:
            if not self.armed.wait(0.1):
                continue
            while True:
                try:
                    self.latch.check()
                except SigningHalted:
                    self.refused_at = time.perf_counter()
                    break
            self.armed.clear()
            self.done.set()


async def bench_threads(presses: int, directory: Path, sigusr1: Sigusr1Switch) -> dict:
    """GPIO callback thread and SIGUSR1 (sigwait thread) -> a looping signer thread refuses."""
    factory = MockFactory()
    latch = sigusr1._latch
    if latch.tripped:
        latch.rearm()
    ks = KillSwitch(latch, pin=17, pin_factory=factory, bounce_s=0.05, rearm_hold_s=5.0)
    pin = factory.pin(17)
    events_send, events_recv = trio.open_memory_channel(math.inf)
    signer = LoopingSigner(latch)
    signer.start()
    gpio_go, gpio_ready = threading.Event(), threading.Event()
    stamps: list[float] = []

    def gpio_callback_thread() -> None:  # stands for lgpio's callback thread
        while True:
            gpio_go.wait()
            gpio_go.clear()
            if signer.stop:
                return
            stamps.append(time.perf_counter())
            pin.drive_low()
            gpio_ready.set()

    gpio = threading.Thread(target=gpio_callback_thread, daemon=True, name="gpio-callback")
    gpio.start()
    sigusr1.attach(ks)
    out: dict[str, list[float]] = {"gpio": [], "sigusr1": []}
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(ks.run, events_send, healthy=lambda: True))
        for i in range(2 * presses):
            kind = "gpio" if i % 2 == 0 else "sigusr1"
            signer.done.clear()
            signer.armed.set()
            await trio.sleep(0.001)  # the signer is looping
            if kind == "gpio":
                gpio_go.set()
                await trio.to_thread.run_sync(gpio_ready.wait)
                gpio_ready.clear()
                t0 = stamps[-1]
            else:
                t0 = time.perf_counter()
                os.kill(os.getpid(), signal.SIGUSR1)
            await trio.to_thread.run_sync(signer.done.wait)
            out[kind].append(signer.refused_at - t0)
            await events_recv.receive()  # the Trio side heard of it
            pin.drive_high()
            latch.rearm()
        nursery.cancel_scope.cancel()
    sigusr1.detach()
    signer.stop = True
    signer.armed.set()
    gpio_go.set()
    ks.close()
    factory.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=int(os.environ.get("BENCH_PRESSES", 1000)))
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="latch directory (default: a temp dir under /var/tmp)",
    )
    parser.add_argument(
        "--switch-interval-ms",
        type=float,
        default=None,
        help="GIL switch interval to try (default: CPython's, as in `arb-appliance run`)",
    )
    args = parser.parse_args()
    base = args.dir or Path(
        tempfile.mkdtemp(
            prefix="bench-hw-", dir="/var/tmp" if os.access("/var/tmp", os.W_OK) else None
        )
    )
    logging.disable(logging.WARNING)  # one WARNING line per press: thousands here
    if args.switch_interval_ms is not None:  # CPython's GIL hand-over bound (default 5 ms)
        sys.setswitchinterval(args.switch_interval_ms / 1e3)
    # As `arb-appliance run` does on its first line: SIGUSR1 blocked before any thread exists,
    # taken by the sigwait thread.
    sigusr1 = Sigusr1Switch(SafetyLatch(base / "threads")).start()
    started = time.perf_counter()
    out = trio.run(bench, args.presses, base)
    out.update(trio.run(bench_threads, args.presses, base / "threads", sigusr1))
    took = time.perf_counter() - started
    print(
        f"kill switch bench: {args.presses} presses (with release + re-arm) on MockFactory, latch dir {base} ({fs_type(base)}), {took:.1f} s"
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"python {sys.version.split()[0]}, switch interval {sys.getswitchinterval() * 1e3:.1f} ms, "
        f"{os.cpu_count()} CPUs, load average {load} (scheduling delays on a busy box show in p99)"
    )
    rows = (
        ("drive_low -> halt set, latch.check() refuses (pressing thread)", out["set"], True),
        ("drive_low -> signing refused seen by another thread (+ OS wake-up)", out["seen"], True),
        ("drive_low -> press handled, latch durable (file+dir fsynced)", out["durable"], False),
        ("drive_low -> KillSwitchPressed received in Trio (EMERGENCY news)", out["trio"], False),
        ("GPIO callback thread drive_low -> looping signer thread refuses", out["gpio"], True),
        ("SIGUSR1 -> sigwait thread -> looping signer thread refuses", out["sigusr1"], True),
    )
    for label, values, goal in rows:
        ms = [v * 1e3 for v in values]
        p50, p99, worst = statistics.median(ms), pct(ms, 99), max(ms)
        verdict = ""
        if goal:
            verdict = (
                f"  goal p99 <= {GOAL_P99_MS} ms: {'MET' if p99 <= GOAL_P99_MS else 'NOT MET'}"
            )
        print(f"  {label}: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.3f} ms{verdict}")
    if args.dir is None:
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
