"""sd_notify for ``Type=notify`` + ``WatchdogSec=``: READY, timer-driven pings, STATUS.

``WATCHDOG=1`` is sent every half ``WATCHDOG_USEC`` from this task's own Trio timer, whether or
not blocks arrive: a quiet chain or a long RPC outage is not a hang (it is a FAULT, shown by the
LEDs: see :mod:`appliance.supervisor.health`), and restarting would not bring blocks back. What
the watchdog catches is a stuck event loop — a blocking call or a busy loop on the Trio thread
stops every task, this timer included, so the pings stop and systemd restarts the service after
``WatchdogSec``. A ping that comes late (the loop was blocked for a while) is logged.

Messages are written to ``NOTIFY_SOCKET`` as non-blocking datagrams. Not through systemd-python's
``systemd.daemon.notify``: that call blocks when the receiver's queue is full (a busy or stuck
service manager, or a test socket nobody reads), and it runs on the Trio thread — a full queue
would freeze the trading loop and the SIGTERM handler with it. A message that cannot be queued
at once is dropped and counted; the next ping or status carries the news. (systemd-python still
serves journald logging, see :mod:`appliance.logs`.)
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import trio

from appliance.units import amount

__all__ = [
    "NOTIFIER",
    "Watchdog",
    "format_status",
    "notify",
    "run_watchdog",
    "watchdog_interval",
]

log = logging.getLogger(__name__)

NOTIFIER = "socket (non-blocking)"


def notify(message: str, env: Mapping[str, str] = os.environ) -> bool:
    """Send one sd_notify message without ever blocking; False when not under systemd (no
    ``NOTIFY_SOCKET``), when the receiver's queue is full, or on a socket error."""
    address = env.get("NOTIFY_SOCKET")
    if not address:
        return False
    return _notify_socket(message, address)


def _notify_socket(message: str, address: str) -> bool:
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message.encode(), socket.MSG_DONTWAIT, address)
    except BlockingIOError:
        log.warning(
            "sd_notify: the service manager's queue is full; %r dropped", message.split("\n")[0]
        )
        return False
    except OSError as exc:
        log.warning("sd_notify to %r failed: %s", address, exc)
        return False
    return True


def watchdog_interval(env: Mapping[str, str] = os.environ) -> float | None:
    """Half of ``WATCHDOG_USEC`` in seconds, or None when the watchdog is not ours/not enabled."""
    usec = env.get("WATCHDOG_USEC")
    if not usec:
        return None
    pid = env.get("WATCHDOG_PID")
    if pid and pid.strip() != str(os.getpid()):
        return None
    try:
        value = int(usec)
    except ValueError:
        log.warning("ignoring WATCHDOG_USEC=%r: not an integer", usec)
        return None
    return value / 2e6 if value > 0 else None


def format_status(
    mode: str, head: int | None, pnl_wei: int, *, symbol: str = "ETH", decimals: int = 18
) -> str:
    """``STATUS=`` text, e.g. ``NORMAL · head 19000123 · P&L +0.012345 ETH`` (exact int → text,
    formatted by :mod:`appliance.units` like the screen and ``arb-appliance status``)."""
    pnl = amount(pnl_wei, decimals, symbol, sign=True)
    return f"{mode} · head {head if head is not None else '-'} · P&L {pnl}"


@dataclass
class Watchdog:
    """Handle given to ``task_status.started``: the supervisor calls :meth:`ready` once."""

    interval: float | None
    _ready: trio.Event = field(default_factory=trio.Event)
    pings: int = 0
    late: int = 0  # pings sent more than one interval late (the event loop was blocked)

    def ready(self) -> None:
        """Synced and armed: send READY=1 (idempotent)."""
        self._ready.set()

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set()


async def run_watchdog(
    *,
    status_probe: Callable[[], str],
    env: Mapping[str, str] = os.environ,
    status_every_s: float = 5.0,
    task_status=trio.TASK_STATUS_IGNORED,
) -> None:
    """Talk to systemd until cancelled (then ``STOPPING=1``). Without ``NOTIFY_SOCKET`` it idles."""
    interval = watchdog_interval(env)
    handle = Watchdog(interval=interval)
    if not env.get("NOTIFY_SOCKET"):
        task_status.started(handle)
        await trio.sleep_forever()
    log.info(
        "sd_notify via %s; watchdog %s",
        NOTIFIER,
        f"ping every {interval:.3g} s" if interval else "off",
    )
    period = min(interval, status_every_s) if interval else status_every_s
    task_status.started(handle)
    last_status = ""
    next_ping = trio.current_time()
    ready_sent = False
    try:
        while True:
            if not ready_sent and handle.is_ready:
                status = status_probe()
                notify(f"READY=1\nSTATUS={status}", env)
                last_status, ready_sent = status, True
                log.info("sd_notify READY=1 (%s)", status)
            now = trio.current_time()
            if interval and now >= next_ping:
                notify("WATCHDOG=1", env)
                handle.pings += 1
                if now - next_ping > interval:
                    handle.late += 1
                    log.warning(
                        "watchdog ping %.1f s late: the event loop was blocked", now - next_ping
                    )
                next_ping = now + interval
            status = status_probe()
            if ready_sent and status != last_status:
                notify(f"STATUS={status}", env)
                last_status = status
            wake = next_ping if interval else now + period
            with trio.move_on_at(min(wake, now + period)):
                if not ready_sent:
                    await handle._ready.wait()
                else:
                    await trio.sleep_forever()
    finally:
        notify("STOPPING=1", env)
