"""Board health for the status screen: CPU, memory, SoC temperature -> ``SystemSampled`` records.

Linux only (``/proc``, ``/sys/class/thermal``); a value the board does not offer is NaN/None, never
an error. The records go to the store task, which shows them in the state file (not journaled).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import trio

from appliance.store.writer import SystemSampled

__all__ = ["CpuMeter", "read_rss_bytes", "read_temp_c", "run_system_sampler"]

THERMAL = Path("/sys/class/thermal/thermal_zone0/temp")


class CpuMeter:
    """Whole-board CPU use in % between two calls of :meth:`sample` (from ``/proc/stat``)."""

    def __init__(self, stat: Path = Path("/proc/stat")) -> None:
        self._stat = stat
        self._last = self._read()

    def _read(self) -> tuple[int, int] | None:
        try:
            fields = self._stat.read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return None
        values = [int(v) for v in fields]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return sum(values), idle

    def sample(self) -> float:
        now = self._read()
        last, self._last = self._last, now
        if now is None or last is None or now[0] <= last[0]:
            return math.nan
        total, idle = now[0] - last[0], now[1] - last[1]
        return round(100.0 * (total - idle) / total, 1)


def read_rss_bytes(pid: int | str = "self") -> int:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def read_temp_c(path: Path = THERMAL) -> float | None:
    try:
        return int(path.read_text().strip()) / 1000.0
    except (OSError, ValueError):
        return None


async def run_system_sampler(
    records_send: trio.MemorySendChannel,
    *,
    interval_s: float = 5.0,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Send a :class:`SystemSampled` every ``interval_s`` until cancelled."""
    meter = CpuMeter()
    task_status.started()
    async with records_send:
        while True:
            await trio.sleep(interval_s)
            await records_send.send(
                SystemSampled(time.time(), meter.sample(), read_rss_bytes(), read_temp_c())
            )
