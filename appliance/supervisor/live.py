"""Figures the supervisor's own small tasks read, folded from the bus (one observer)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from appliance.events import (
    BlockSeen,
    ModeChanged,
    ReorgDetected,
    ReservesUpdated,
    RiskUpdated,
    RpcHealthChanged,
)
from appliance.modes import Mode

__all__ = ["Live"]


@dataclass
class Live:
    """Written only by :meth:`observe` (a bus observer); read by health, watchdog and hw."""

    head: BlockSeen | None = None
    head_seen_at: float = 0.0  # time.monotonic() when the head arrived
    mode: Mode = Mode.PAUSED
    pnl_today: int = 0
    healthy: bool = False
    blocks: int = 0

    def observe(self, event: Any) -> None:
        if isinstance(event, BlockSeen):
            self.head, self.head_seen_at = event, time.monotonic()
        elif isinstance(event, ReorgDetected):
            self.head, self.head_seen_at = event.new_head, time.monotonic()
        elif isinstance(event, ReservesUpdated):
            self.blocks += 1
        elif isinstance(event, ModeChanged):
            self.mode = event.new
        elif isinstance(event, RiskUpdated):
            self.pnl_today = event.pnl_today
        elif isinstance(event, RpcHealthChanged):
            self.healthy = any(e.healthy and not e.lagging for e in event.endpoints)
