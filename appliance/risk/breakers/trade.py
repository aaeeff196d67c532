"""``trade``: N consecutive failed trades open it; half-open after the cooldown (probe trades
allowed, REDUCED); closed after M successes in a row; a failure while half-open re-opens it."""

from __future__ import annotations

from typing import Any

from appliance.risk.breakers.base import Breaker, BreakerChange, BreakerState

__all__ = ["BREAKER", "TradeBreaker"]


class TradeBreaker(Breaker):
    name = "trade"

    def __init__(self, cfg: Any, *, now: float) -> None:
        super().__init__(cfg, now=now)
        self._failures_to_open = int(cfg.consecutive_failures)
        self._cooldown_s = float(cfg.breaker_cooldown_s)
        self._close_after = int(cfg.breaker_close_after)
        self.consecutive_failures = 0
        self.probe_successes = 0
        self.opened_at: float | None = None

    def on_trade(self, success: bool, pnl: int, now: float) -> list[BreakerChange]:
        state = self.state
        if success:
            self.consecutive_failures = 0
            if state is BreakerState.HALF_OPEN:
                self.probe_successes += 1
                if self.probe_successes >= self._close_after:
                    self.opened_at = None
                    return self.close(f"{self.probe_successes} successful probe trade(s)")
            return []
        self.consecutive_failures += 1
        if state is BreakerState.HALF_OPEN:
            self.opened_at = now
            return [self.set(BreakerState.OPEN, "a probe trade failed while half-open")]
        if state is BreakerState.CLOSED and self.consecutive_failures >= self._failures_to_open:
            self.opened_at = now
            return [
                self.set(
                    BreakerState.OPEN, f"{self.consecutive_failures} consecutive failed trades"
                )
            ]
        return []

    def poll(self, now: float) -> list[BreakerChange]:
        if self.state is BreakerState.OPEN and now >= (self.opened_at or now) + self._cooldown_s:
            self.probe_successes = 0
            return [
                self.set(BreakerState.HALF_OPEN, f"cooldown of {self._cooldown_s:g}s over: probing")
            ]
        return []

    def trip(self, reason: str, now: float | None = None) -> list[BreakerChange]:
        self.opened_at = now  # with a time, the cooldown applies (never stuck open for good)
        return super().trip(reason)

    def restart_baseline(self) -> None:
        self.consecutive_failures = 0
        self.opened_at = None

    def rebuild(self, figures, now: float) -> list[BreakerChange]:
        self.restart_baseline()
        return self.close("state rebuilt from the journal")

    def figures(self) -> dict[str, Any]:
        return {
            "consecutive_failures": self.consecutive_failures,
            "probe_successes": self.probe_successes,
            "opened_at": self.opened_at,
        }

    def load_figures(self, data: dict[str, Any]) -> None:
        failures, probes, opened = (
            data["consecutive_failures"],
            data["probe_successes"],
            data["opened_at"],
        )
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (failures, probes)):
            raise TypeError(f"trade counters must be integers, not {failures!r}, {probes!r}")
        if opened is not None and (isinstance(opened, bool) or not isinstance(opened, int | float)):
            raise TypeError(f"opened_at must be a number, not {opened!r}")
        self.consecutive_failures, self.probe_successes = failures, probes
        self.opened_at = None if opened is None else float(opened)


BREAKER = TradeBreaker
