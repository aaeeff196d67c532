"""sd_notify: READY, timer-driven WATCHDOG=1 pings and STATUS, against a real datagram socket."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest
import trio
import trio.testing

from appliance.watchdog import NOTIFIER, format_status, notify, run_watchdog, watchdog_interval


@pytest.fixture
def notify_socket():
    # Short path: AF_UNIX addresses are limited to ~108 bytes, pytest's tmp_path may be longer.
    tmp = Path(tempfile.mkdtemp(prefix="wd-", dir="/tmp"))
    path = tmp / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    yield str(path), sock
    sock.close()
    path.unlink(missing_ok=True)
    tmp.rmdir()


def drain(sock) -> list[str]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except BlockingIOError:
            return out


def test_interval_is_half_watchdog_usec():
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"}) is None  # not our pid
    assert watchdog_interval({"WATCHDOG_USEC": "1000", "WATCHDOG_PID": str(os.getpid())}) == 0.0005
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None


def test_format_status_is_exact():
    assert (
        format_status("NORMAL", 19_000_123, 12_345_678_900_000_000)
        == "NORMAL · head 19000123 · P&L +0.012345 ETH"
    )
    assert format_status("PAUSED", None, -(10**18) - 1) == "PAUSED · head - · P&L -1.000000 ETH"


async def test_pings_come_from_its_own_timer_with_or_without_blocks(notify_socket, autojump_clock):
    """No block for a long time (an RPC outage) is not a hang: the pings go on (issue 14.13)."""
    path, sock = notify_socket
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}  # ping every 1 s
    async with trio.open_nursery() as nursery:
        handle = await nursery.start(
            lambda task_status: run_watchdog(
                status_probe=lambda: "PAUSED · head 7", env=env, task_status=task_status
            )
        )
        await trio.sleep(2.5)
        before_ready = drain(sock)
        assert before_ready and set(before_ready) == {"WATCHDOG=1"}  # start-up
        handle.ready()
        await trio.sleep(5.05)
        messages = drain(sock)
        assert messages[0].startswith("READY=1\nSTATUS=PAUSED · head 7")
        assert messages.count("WATCHDOG=1") >= 4
        pings = 0
        for _ in range(120):  # ten minutes without any block: still pinging
            await trio.sleep(5)  # (drained often: a datagram socket queues only a few)
            pings += drain(sock).count("WATCHDOG=1")
        assert pings >= 590
        assert handle.late == 0
        nursery.cancel_scope.cancel()
    assert drain(sock) == ["STOPPING=1"]


async def test_without_notify_socket_it_idles(autojump_clock):
    async with trio.open_nursery() as nursery:
        handle = await nursery.start(
            lambda task_status: run_watchdog(
                status_probe=lambda: "x", env={}, task_status=task_status
            )
        )
        handle.ready()
        await trio.sleep(100)
        assert handle.pings == 0
        nursery.cancel_scope.cancel()
    assert notify("READY=1", {}) is False


def test_notify_reaches_the_socket(notify_socket, monkeypatch):
    path, sock = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert NOTIFIER.startswith("socket")
    assert notify("STATUS=hello") is True
    assert drain(sock) == ["STATUS=hello"]
    assert notify("STATUS=explicit", {"NOTIFY_SOCKET": path}) is True
    assert drain(sock) == ["STATUS=explicit"]


def test_a_full_receiver_never_blocks_the_sender(notify_socket):
    """Nobody reads the socket: messages are dropped once its queue is full, never waited on."""
    path, _sock = notify_socket
    results = [notify(f"STATUS={i}", {"NOTIFY_SOCKET": path}) for i in range(2000)]
    assert results[0] is True
    assert results[-1] is False  # the queue filled up and the sender went on
