"""``daily``: net loss since the last reset >= ``daily_loss_wei`` opens it, until the next reset
at ``daily_reset_hour_utc`` (a reset that passed while the appliance was off applies at start)."""

from __future__ import annotations

from typing import Any

from appliance.risk.breakers.base import Breaker, BreakerChange, day_index, parse_int

__all__ = ["BREAKER", "DailyBreaker"]


class DailyBreaker(Breaker):
    name = "daily"

    def __init__(self, cfg: Any, *, now: float) -> None:
        super().__init__(cfg, now=now)
        self._limit = int(cfg.daily_loss_wei)
        self._reset_hour = int(cfg.daily_reset_hour_utc)
        self.pnl = 0
        self.day = day_index(now, self._reset_hour)

    def on_trade(self, success: bool, pnl: int, now: float) -> list[BreakerChange]:
        self.pnl += pnl
        return self._check()

    def poll(self, now: float) -> list[BreakerChange]:
        today = day_index(now, self._reset_hour)
        if today == self.day:
            return []
        self.day, self.pnl = today, 0
        return self.close(f"daily reset at {self._reset_hour:02d}:00 UTC")

    def restart_baseline(self) -> None:
        self.pnl = 0

    def rebuild(self, figures, now: float) -> list[BreakerChange]:
        self.day, self.pnl = day_index(now, self._reset_hour), int(figures.pnl_today)
        changes = self.close(f"rebuilt from the journal: today's P&L {self.pnl} wei")
        return changes + self._check(" (rebuilt from the journal)")

    def _check(self, note: str = "") -> list[BreakerChange]:
        if self.pnl < 0 and -self.pnl >= self._limit:
            return self.trip(f"daily loss {-self.pnl} wei >= {self._limit}{note}")
        return []

    def figures(self) -> dict[str, Any]:
        return {"pnl": str(self.pnl), "day": self.day}

    def load_figures(self, data: dict[str, Any]) -> None:
        self.pnl, self.day = parse_int(data["pnl"]), parse_int(data["day"])


BREAKER = DailyBreaker
