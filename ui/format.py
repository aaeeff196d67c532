"""Pure formatting for the status screen: exact wei, ages, short hashes, an ASCII sparkline.

Everything returns plain ASCII so it renders on the Linux console font (TERM=linux).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "SPARK_RAMP",
    "age",
    "latency",
    "percent",
    "short_hash",
    "size",
    "sparkline",
    "temperature",
    "wei",
]

SPARK_RAMP = "_.-=+*#"  # low -> high; ASCII only (no block glyphs: the console font lacks them)
NA = "-"


def wei(amount: int | None, *, decimals: int = 18, places: int = 6, sign: bool = False) -> str:
    """``amount`` smallest units as a decimal with ``places`` digits, exact (truncated to zero).

    >>> wei(1234567890000000000)
    '1.234567'
    >>> wei(-5 * 10**12, sign=True)
    '-0.000005'
    """
    if amount is None:
        return NA
    negative = amount < 0
    whole, frac = divmod(abs(int(amount)), 10**decimals)
    if places > 0:
        digits = str(frac).rjust(decimals, "0")[:places].ljust(places, "0")
        text = f"{whole}.{digits}"
    else:
        text = str(whole)
    if negative and any(c not in "0." for c in text):
        return "-" + text
    return ("+" if sign else "") + text


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


def short_hash(value: str | None, *, head: int = 6, tail: int = 4) -> str:
    """``0x1234ab..cdef`` (an address or a transaction hash)."""
    if not value:
        return NA
    if len(value) <= head + tail + 2:
        return value
    return f"{value[:head]}..{value[-tail:]}"


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


def sparkline(values: Sequence[int | float], width: int) -> str:
    """``values`` squeezed into ``width`` ASCII characters (the last value of each bucket).

    Empty input gives an empty string; a flat series is drawn at mid height.
    """
    if width <= 0 or not values:
        return ""
    n = len(values)
    if n > width:
        points = [values[min(n - 1, (i + 1) * n // width - 1)] for i in range(width)]
    else:
        points = list(values)
    lo, hi = min(points), max(points)
    top = len(SPARK_RAMP) - 1
    if hi == lo:
        return SPARK_RAMP[top // 2] * len(points)
    return "".join(SPARK_RAMP[round((v - lo) * top / (hi - lo))] for v in points)
