"""``drawdown``: equity (everything the account holds, valued in the reference token) below its
PEAK by >= ``max_drawdown_pct`` opens it, until the deliberate re-arm (which takes the current
equity as the new peak). Between valuations each settled trade moves the equity by its P&L."""

from __future__ import annotations

from typing import Any

from appliance.risk.breakers.base import (
    Breaker,
    BreakerChange,
    parse_int,
    parse_optional_int,
)

__all__ = ["BREAKER", "DrawdownBreaker"]


class DrawdownBreaker(Breaker):
    name = "drawdown"
    rearm_resets = True

    def __init__(self, cfg: Any, *, now: float) -> None:
        super().__init__(cfg, now=now)
        self._num, self._den = float(cfg.max_drawdown_pct).as_integer_ratio()
        self.equity: int | None = None  # unknown until the first observation
        self.peak = 0
        self._peak_gap: int | None = None  # rebuilt: the first valuation sits this far below

    def on_trade(self, success: bool, pnl: int, now: float) -> list[BreakerChange]:
        if self.equity is None:
            return []
        self.equity += pnl
        self.peak = max(self.peak, self.equity)
        return self._check()

    def on_equity(self, equity: int, now: float) -> list[BreakerChange]:
        self.equity = int(equity)
        if self._peak_gap is not None:
            self.peak = max(self.peak, self.equity + self._peak_gap)
            self._peak_gap = None
        self.peak = max(self.peak, self.equity)
        return self._check()

    @property
    def pct(self) -> float:
        if self.equity is None or self.peak <= 0:
            return 0.0
        return 100.0 * (self.peak - self.equity) / self.peak

    def restart_baseline(self) -> None:
        self.peak = self.equity if self.equity is not None else 0

    def rebuild(self, figures, now: float) -> list[BreakerChange]:
        """The peak is rebuilt from the journal's cumulative P&L: the next valuation of the
        account is taken as ``below_peak`` under its peak."""
        self.equity, self.peak = None, 0
        self._peak_gap = max(0, int(figures.below_peak))
        return self.close("rebuilt from the journal: peak follows the next valuation")

    def _check(self) -> list[BreakerChange]:
        equity, peak = self.equity, self.peak
        if (
            equity is not None
            and peak > 0
            and equity < peak
            and (peak - equity) * 100 * self._den >= peak * self._num
        ):
            return self.trip(f"equity {equity} wei is {self.pct:.2f}% below its peak {peak}")
        return []

    def figures(self) -> dict[str, Any]:
        return {
            "equity": None if self.equity is None else str(self.equity),
            "peak": str(self.peak),
        }

    def load_figures(self, data: dict[str, Any]) -> None:
        self.equity = parse_optional_int(data["equity"])
        self.peak = parse_int(data["peak"])


BREAKER = DrawdownBreaker
