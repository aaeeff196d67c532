"""``arb-appliance run`` as a real process: sd_notify READY/WATCHDOG, SIGUSR1, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parent))

from sup_helpers import appliance_config, start_run, status_json

pytestmark = pytest.mark.devnet


async def _messages(sock: socket.socket, seconds: float) -> list[str]:
    got: list[str] = []
    with trio.move_on_after(seconds):
        while True:
            await trio.lowlevel.wait_readable(sock)
            got.append(sock.recv(4096).decode())
    return got


async def _mine_forever(dn, period: float = 0.3) -> None:
    while True:
        await dn.mine(1)
        await trio.sleep(period)


async def test_run_notifies_pings_latches_and_stops(fresh_devnet, tmp_path: Path) -> None:
    dn = fresh_devnet
    config = await appliance_config(dn, tmp_path)
    notify = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify))
    sock.setblocking(False)
    env = dict(
        os.environ, NOTIFY_SOCKET=str(notify), WATCHDOG_USEC="1000000", GPIOZERO_PIN_FACTORY="mock"
    )
    proc = start_run(config, env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_mine_forever, dn)
            seen: list[str] = []
            with trio.fail_after(90):
                while not any("READY=1" in m for m in seen):
                    seen += await _messages(sock, 1.0)
            pings = [m for m in await _messages(sock, 3.0) if "WATCHDOG=1" in m]
            assert len(pings) >= 2, seen

            # SIGUSR1: the software kill switch takes the GPIO path -> EMERGENCY, latched
            proc.send_signal(signal.SIGUSR1)
            with trio.fail_after(30):
                while True:
                    doc = await trio.to_thread.run_sync(status_json, config)
                    if doc.get("mode") == "EMERGENCY":
                        break
                    await trio.sleep(0.2)
            assert doc["kill_switch"] is True
            assert (tmp_path / "data" / "emergency.latch").exists()

            # no more blocks (an RPC outage, a quiet chain): the pings go on from their own
            # timer — a stale head is a FAULT on the LEDs, not a watchdog kill
            nursery.cancel_scope.cancel()
        await _messages(sock, 2.5)
        quiet = [m for m in await _messages(sock, 3.0) if "WATCHDOG=1" in m]
        assert len(quiet) >= 2

        proc.send_signal(signal.SIGTERM)
        code = await trio.to_thread.run_sync(lambda: proc.wait(timeout=30))
        out = proc.stdout.read()
        assert code == 0, out
        assert "Traceback" not in out
        assert any("STOPPING=1" in m for m in await _messages(sock, 0.5))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()
