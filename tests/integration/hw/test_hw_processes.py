"""Whole processes: sd_notify to a test socket with WATCHDOG_USEC, and SIGUSR1 as the kill switch."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from appliance.safety import SafetyLatch

ROOT = Path(__file__).resolve().parents[3]

WATCHDOG_CHILD = textwrap.dedent(
    """
    import time
    import trio
    from appliance.watchdog import notify, run_watchdog

    async def main():
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(lambda task_status: run_watchdog(
                status_probe=lambda: "NORMAL · head 1", task_status=task_status))
            await trio.sleep(0.1)
            handle.ready()
            await trio.sleep(0.6)        # no block at all: the pings go on
            notify("X_TEST=STUCK")
            time.sleep(1.0)              # the event loop itself is stuck: no ping for 20 intervals
            notify("X_TEST=END")
            nursery.cancel_scope.cancel()

    trio.run(main)
    """
)

SIGUSR1_CHILD = textwrap.dedent(
    """
    import math, sys
    from pathlib import Path
    import trio
    from appliance.config.sections import HardwareConfig
    from appliance.events import KillSwitchPressed
    from appliance.safety import SafetyLatch
    from hw import Sigusr1Switch, make_pin_factory, run_hw

    latch = SafetyLatch(Path(sys.argv[1]))
    presses = Sigusr1Switch(latch).start()  # first: before any other thread exists

    async def main():
        factory, notice = make_pin_factory()
        print("NOTICE", notice, flush=True)
        events_send, events_recv = trio.open_memory_channel(math.inf)
        _mode_send, mode_recv = trio.open_memory_channel(0)
        async with trio.open_nursery() as nursery:
            hw = await nursery.start(lambda task_status: run_hw(
                HardwareConfig(), latch=latch, pin_factory=factory, mode_recv=mode_recv,
                events_send=events_send, healthy=lambda: True, task_status=task_status))
            presses.attach(hw.kill_switch)
            print("ARMED", flush=True)
            async for event in events_recv:
                if isinstance(event, KillSwitchPressed):
                    print("PRESSED", event.source, event.newly_latched, latch.tripped, flush=True)
                    break
            presses.detach()
            nursery.cancel_scope.cancel()

    trio.run(main)
    """
)


def _child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_process_pings_from_its_timer_and_stops_only_when_its_loop_is_stuck():
    tmp = Path(tempfile.mkdtemp(prefix="wdp-", dir="/tmp"))
    path = tmp / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(30)
        proc = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG_CHILD],
            env=_child_env(NOTIFY_SOCKET=str(path), WATCHDOG_USEC="100000"),  # ping every 50 ms
        )
        messages: list[str] = []
        try:
            while not messages or messages[-1] != "X_TEST=END":
                messages.append(sock.recv(4096).decode())
        finally:
            assert proc.wait(timeout=30) == 0
    path.unlink()
    tmp.rmdir()
    ready = next(i for i, m in enumerate(messages) if m.startswith("READY=1"))
    stuck = messages.index("X_TEST=STUCK")
    assert "STATUS=NORMAL · head" in messages[ready]
    assert messages[ready:stuck].count("WATCHDOG=1") >= 3  # no progress counter: timer pings
    assert messages[stuck:].count("WATCHDOG=1") == 0, messages[stuck:]  # loop stuck: none


def test_sigusr1_trips_the_durable_latch_through_the_kill_switch_path(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", SIGUSR1_CHILD, str(tmp_path)],
        env=_child_env(GPIOZERO_PIN_FACTORY="mock"),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        notice = proc.stdout.readline()
        assert "SIMULATED" in notice
        assert proc.stdout.readline().strip() == "ARMED"
        proc.send_signal(signal.SIGUSR1)
        assert proc.stdout.readline().split() == ["PRESSED", "sigusr1", "True", "True"]
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # A new latch object (a restart) on the same directory is still tripped.
    latch = SafetyLatch(tmp_path)
    assert latch.tripped and "sigusr1" in str(latch.info["reason"])
