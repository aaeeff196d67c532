"""Trading modes (DESIGN.md section 4). The state machine lives in :mod:`appliance.risk`."""

from __future__ import annotations

import enum

__all__ = ["Mode"]


class Mode(enum.IntEnum):
    """Ordered by severity: a higher value never trades more than a lower one."""

    NORMAL = 0
    REDUCED = 1
    PAUSED = 2
    EMERGENCY = 3

    @property
    def trades(self) -> bool:
        return self in (Mode.NORMAL, Mode.REDUCED)
