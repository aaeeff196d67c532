"""Pure formatting for the status screen: ages, sizes, latencies, and laying words out in lines.

Token amounts, addresses and the health words come from :mod:`appliance.units` (shared with
``arb-appliance status`` and the watchdog). Everything is plain ASCII (the Linux console font).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "SPARK_RAMP",
    "age",
    "flow",
    "latency",
    "percent",
    "size",
    "temperature",
]

SPARK_RAMP = "_.-=+*#"  # low -> high; ASCII only (no block glyphs: the console font lacks them)
NA = "-"


def age(seconds: float | None) -> str:
    """``3s``, ``2m05s``, ``1h02m``, ``3d04h``; ``-`` when unknown."""
    if seconds is None or math.isnan(seconds):
        return NA
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def size(n: int | None) -> str:
    """Bytes in the largest unit that keeps the number short: ``512 B``, ``41.3 MB``."""
    if n is None:
        return NA
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return NA  # pragma: no cover


def percent(value: float | None) -> str:
    if value is None or math.isnan(value):
        return NA
    return f"{value:.1f}%"


def temperature(value: float | None) -> str:
    if value is None or math.isnan(value):
        return NA
    return f"{value:.1f} C"


def latency(ms: float | None) -> str:
    if ms is None or math.isnan(ms):
        return NA
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def flow(parts: Sequence[str], width: int, *, gap: str = "  ") -> list[str]:
    """``parts`` laid out left to right in lines of at most ``width`` characters, never split
    inside a part (a part longer than a line gets a line of its own): nothing is cut."""
    lines: list[str] = []
    line = ""
    for part in parts:
        if not part:
            continue
        if line and len(line) + len(gap) + len(part) > width:
            lines.append(line)
            line = part
        else:
            line = f"{line}{gap}{part}" if line else part
    if line:
        lines.append(line)
    return lines
