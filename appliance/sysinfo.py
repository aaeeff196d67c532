"""Cheap reads of the box's vital signs from /proc and /sys (no psutil on a 512 MB board).

Every function returns None when its source is absent (a container, a non-Linux dev box) rather
than raising: vital signs are for display and metrics, never a reason to stop trading.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CpuMeter",
    "SystemSample",
    "board_temperature_c",
    "disk_free_bytes",
    "process_cpu_seconds",
    "rss_bytes",
    "sample",
    "system_uptime_s",
]

THERMAL_ROOT = Path("/sys/class/thermal")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def rss_bytes(pid: int | str = "self") -> int | None:
    """Resident set size of a process (``/proc/<pid>/statm``, second field, in pages)."""
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
        return int(fields[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


def process_cpu_seconds(pid: int | str = "self") -> float | None:
    """User + system CPU time of a process (``/proc/<pid>/stat`` fields 14 and 15)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        rest = raw[raw.rindex(")") + 2 :].split()  # the command name may contain spaces
        return (int(rest[11]) + int(rest[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return None


class CpuMeter:
    """CPU % of one core used by a process between two :meth:`percent` calls."""

    def __init__(self, pid: int | str = "self") -> None:
        self._pid = pid
        self._last = (time.monotonic(), process_cpu_seconds(pid))

    def percent(self) -> float | None:
        now, cpu = time.monotonic(), process_cpu_seconds(self._pid)
        then, before = self._last
        self._last = (now, cpu)
        if cpu is None or before is None or now <= then:
            return None
        return 100.0 * (cpu - before) / (now - then)


def board_temperature_c(root: Path = THERMAL_ROOT) -> float | None:
    """The hottest thermal zone in °C (the Pi's SoC is ``thermal_zone0``), None when absent."""
    temps = []
    try:
        zones = sorted(root.glob("thermal_zone*/temp"))
    except OSError:
        return None
    for zone in zones:
        try:
            temps.append(int(zone.read_text().strip()) / 1000.0)
        except (OSError, ValueError):
            continue
    return max(temps) if temps else None


def disk_free_bytes(path: Path | str) -> int | None:
    """Bytes available to unprivileged users on the filesystem holding ``path``."""
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def system_uptime_s() -> float | None:
    try:
        return float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class SystemSample:
    rss_bytes: int | None
    cpu_percent: float | None
    temperature_c: float | None
    disk_free_bytes: int | None
    uptime_s: float | None


def sample(data_dir: Path | str, cpu: CpuMeter | None = None) -> SystemSample:
    """One reading of everything (tens of microseconds)."""
    return SystemSample(
        rss_bytes=rss_bytes(),
        cpu_percent=cpu.percent() if cpu is not None else None,
        temperature_c=board_temperature_c(),
        disk_free_bytes=disk_free_bytes(data_dir),
        uptime_s=system_uptime_s(),
    )
