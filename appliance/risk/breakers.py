"""Multi-tier circuit breakers: trade, session loss, daily loss, drawdown from peak equity.

Tiers and what closes them again::

    trade     N consecutive reverted/failed trades -> open; half-open after the cooldown (probe
              trades allowed); closed after M successes in a row; a failure while half-open
              re-opens it (cooldown restarts)
    session   net loss since the session began >= limit -> open until a new session (a clean
              restart) or the deliberate re-arm
    daily     net loss since the last reset >= limit -> open until the next reset at the
              configured UTC hour
    drawdown  equity below its PEAK by >= max_drawdown_pct -> open until the deliberate re-arm
              (which takes the current equity as the new peak)

All P&L is integer wei of the base token (net of gas). Time is an injected unix-time ``now`` so
the daily reset and the cooldown are testable. The whole state round-trips through
:meth:`Breakers.to_json` / :meth:`Breakers.from_json` so a restart keeps it.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass

from appliance.risk.errors import RiskStateError

__all__ = ["BREAKER_NAMES", "BreakerChange", "BreakerState", "Breakers", "day_index"]

BREAKER_NAMES = ("trade", "session", "daily", "drawdown")
_STATE_VERSION = 1
_DAY = 86_400


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True, slots=True)
class BreakerChange:
    name: str
    old: BreakerState
    new: BreakerState
    reason: str


def day_index(now: float, reset_hour_utc: int) -> int:
    """The number of the risk day containing unix time ``now``; a new one starts at the hour."""
    return int((now - reset_hour_utc * 3600) // _DAY)


class Breakers:
    """All tiers. Driven by one task; ``record_trade``/``observe_equity``/``poll`` return changes."""

    def __init__(self, cfg, *, now: float) -> None:  # cfg: appliance.config.RiskConfig
        self._failures_to_open = int(cfg.consecutive_failures)
        self._cooldown_s = float(cfg.breaker_cooldown_s)
        self._close_after = int(cfg.breaker_close_after)
        self._session_limit = int(cfg.session_loss_wei)
        self._daily_limit = int(cfg.daily_loss_wei)
        self._reset_hour = int(cfg.daily_reset_hour_utc)
        self._dd_num, self._dd_den = float(cfg.max_drawdown_pct).as_integer_ratio()
        self.states: dict[str, BreakerState] = dict.fromkeys(BREAKER_NAMES, BreakerState.CLOSED)
        self.consecutive_failures = 0
        self.probe_successes = 0
        self.trade_opened_at: float | None = None
        self.pnl_session = 0
        self.pnl_today = 0
        self.day = day_index(now, self._reset_hour)
        self.equity: int | None = None  # unknown until the first observation
        self.equity_peak = 0
        self.reasons: dict[str, str] = {}

    # ------------------------------------------------------------------ inputs
    def record_trade(self, success: bool, pnl: int, now: float) -> list[BreakerChange]:
        """A settled trade: ``success`` (mined / paper fill) or not (reverted, dropped); ``pnl``
        its net result in wei (negative for the gas of a revert)."""
        changes = self.poll(now)
        changes += self._record_outcome(success, now)
        self.pnl_session += pnl
        self.pnl_today += pnl
        if self.equity is not None:
            self.equity += pnl
            self.equity_peak = max(self.equity_peak, self.equity)
        changes += self._check_losses()
        return changes

    def observe_equity(self, equity: int, now: float) -> list[BreakerChange]:
        """An absolute valuation of the inventory (base-token wei)."""
        changes = self.poll(now)
        self.equity = int(equity)
        self.equity_peak = max(self.equity_peak, self.equity)
        return changes + self._check_losses()

    def poll(self, now: float) -> list[BreakerChange]:
        """Time-driven transitions: trade breaker half-open after the cooldown; daily reset."""
        changes: list[BreakerChange] = []
        if (
            self.states["trade"] is BreakerState.OPEN
            and self.trade_opened_at is not None
            and now >= self.trade_opened_at + self._cooldown_s
        ):
            self.probe_successes = 0
            changes.append(
                self._set(
                    "trade",
                    BreakerState.HALF_OPEN,
                    f"cooldown of {self._cooldown_s:g}s over: probing",
                )
            )
        today = day_index(now, self._reset_hour)
        if today != self.day:
            self.day = today
            self.pnl_today = 0
            if self.states["daily"] is not BreakerState.CLOSED:
                changes.append(
                    self._set(
                        "daily",
                        BreakerState.CLOSED,
                        f"daily reset at {self._reset_hour:02d}:00 UTC",
                    )
                )
        return changes

    def reset(self, name: str, reason: str) -> list[BreakerChange]:
        """Deliberate reset (the re-arm): close ``name``; session/drawdown restart their baselines."""
        if name == "session":
            self.pnl_session = 0
        elif name == "drawdown":
            self.equity_peak = self.equity if self.equity is not None else 0
        elif name == "trade":
            self.consecutive_failures = 0
            self.trade_opened_at = None
        elif name == "daily":
            self.pnl_today = 0
        if self.states[name] is BreakerState.CLOSED:
            return []
        return [self._set(name, BreakerState.CLOSED, reason)]

    # ------------------------------------------------------------------ queries
    def snapshot(self) -> dict[str, str]:
        return {name: str(state) for name, state in self.states.items()}

    @property
    def any_open(self) -> bool:
        return any(s is BreakerState.OPEN for s in self.states.values())

    @property
    def drawdown_pct(self) -> float:
        if self.equity is None or self.equity_peak <= 0:
            return 0.0
        return 100.0 * (self.equity_peak - self.equity) / self.equity_peak

    # ------------------------------------------------------------------ persistence
    def to_json(self) -> str:
        return json.dumps(
            {
                "version": _STATE_VERSION,
                "states": self.snapshot(),
                "consecutive_failures": self.consecutive_failures,
                "probe_successes": self.probe_successes,
                "trade_opened_at": self.trade_opened_at,
                "pnl_session": str(
                    self.pnl_session
                ),  # str: wei exceed JSON's safe integers elsewhere
                "pnl_today": str(self.pnl_today),
                "day": self.day,
                "equity": None if self.equity is None else str(self.equity),
                "equity_peak": str(self.equity_peak),
                "reasons": self.reasons,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str, cfg, *, now: float, new_session: bool = False) -> Breakers:
        """Restore; ``new_session`` (a clean restart) starts the session tier afresh. The daily
        tier resets if a reset hour passed while the appliance was off."""
        self = cls(cfg, now=now)
        try:
            data = json.loads(text)
            if data.get("version") != _STATE_VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            self.states = {name: BreakerState(data["states"][name]) for name in BREAKER_NAMES}
            self.consecutive_failures = int(data["consecutive_failures"])
            self.probe_successes = int(data["probe_successes"])
            opened = data["trade_opened_at"]
            self.trade_opened_at = None if opened is None else float(opened)
            self.pnl_session = int(data["pnl_session"])
            self.pnl_today = int(data["pnl_today"])
            self.day = int(data["day"])
            self.equity = None if data["equity"] is None else int(data["equity"])
            self.equity_peak = int(data["equity_peak"])
            self.reasons = {str(k): str(v) for k, v in dict(data.get("reasons", {})).items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RiskStateError(f"breaker state unreadable: {exc} in {text[:200]!r}") from exc
        if new_session:
            self.pnl_session = 0
            self.states["session"] = BreakerState.CLOSED
            self.reasons.pop("session", None)
        self.poll(now)  # a daily reset that happened while we were off
        return self

    # ------------------------------------------------------------------ internals
    def _set(self, name: str, new: BreakerState, reason: str) -> BreakerChange:
        old = self.states[name]
        self.states[name] = new
        if new is BreakerState.CLOSED:
            self.reasons.pop(name, None)
        else:
            self.reasons[name] = reason
        return BreakerChange(name, old, new, reason)

    def _record_outcome(self, success: bool, now: float) -> list[BreakerChange]:
        state = self.states["trade"]
        if success:
            self.consecutive_failures = 0
            if state is BreakerState.HALF_OPEN:
                self.probe_successes += 1
                if self.probe_successes >= self._close_after:
                    self.trade_opened_at = None
                    return [
                        self._set(
                            "trade",
                            BreakerState.CLOSED,
                            f"{self.probe_successes} successful probe trade(s)",
                        )
                    ]
            return []
        self.consecutive_failures += 1
        if state is BreakerState.HALF_OPEN:
            self.trade_opened_at = now
            return [self._set("trade", BreakerState.OPEN, "a probe trade failed while half-open")]
        if state is BreakerState.CLOSED and self.consecutive_failures >= self._failures_to_open:
            self.trade_opened_at = now
            return [
                self._set(
                    "trade",
                    BreakerState.OPEN,
                    f"{self.consecutive_failures} consecutive failed trades",
                )
            ]
        return []

    def _check_losses(self) -> list[BreakerChange]:
        changes = []
        if (
            self.states["session"] is BreakerState.CLOSED
            and self.pnl_session < 0
            and -self.pnl_session >= self._session_limit
        ):
            changes.append(
                self._set(
                    "session",
                    BreakerState.OPEN,
                    f"session loss {-self.pnl_session} wei >= {self._session_limit}",
                )
            )
        if (
            self.states["daily"] is BreakerState.CLOSED
            and self.pnl_today < 0
            and -self.pnl_today >= self._daily_limit
        ):
            changes.append(
                self._set(
                    "daily",
                    BreakerState.OPEN,
                    f"daily loss {-self.pnl_today} wei >= {self._daily_limit}",
                )
            )
        if (
            self.states["drawdown"] is BreakerState.CLOSED
            and self.equity is not None
            and self.equity_peak > 0
            and self.equity < self.equity_peak
            and (self.equity_peak - self.equity) * 100 * self._dd_den
            >= self.equity_peak * self._dd_num
        ):
            changes.append(
                self._set(
                    "drawdown",
                    BreakerState.OPEN,
                    f"equity {self.equity} wei is {self.drawdown_pct:.2f}% below its peak {self.equity_peak}",
                )
            )
        return changes
