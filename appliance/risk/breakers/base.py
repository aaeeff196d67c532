"""The breaker interface: one tier of protection, its state, its persisted figures.

A breaker is one module of this package with a ``BREAKER`` class deriving from :class:`Breaker`
(loaded by name: :func:`appliance.risk.breakers.breaker_class`). It sees every input the
engine feeds the set (settled trades, equity and gas-balance observations, the clock) through
the ``on_*`` hooks it overrides, and returns the state changes it made. Its figures round-trip
through :meth:`Breaker.to_json` / :meth:`Breaker.restore` under its name, so adding a breaker
needs no edit of the engine and an older saved state (without it) still loads.

All P&L is integer wei (of the reference token); time an injected unix-time ``now``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "Breaker",
    "BreakerChange",
    "BreakerState",
    "Rebuilt",
    "day_index",
    "parse_int",
    "parse_optional_int",
]

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


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """Figures rebuilt from the journal after a damaged risk state: the day's net P&L and how
    far the cumulative P&L stands below its own peak (both reference-token wei, >= 0 gap)."""

    pnl_today: int
    below_peak: int = 0


def day_index(now: float, reset_hour_utc: int) -> int:
    """The number of the risk day containing unix time ``now``; a new one starts at the hour."""
    return int((now - reset_hour_utc * 3600) // _DAY)


def parse_int(value: Any) -> int:
    """A saved integer: an ``int`` (not a bool) or its decimal string; else ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an integer, not {value!r}")
    return int(value)


def parse_optional_int(value: Any) -> int | None:
    return None if value is None else parse_int(value)


class Breaker:
    """One tier. Subclasses set :attr:`name` and override the hooks they need.

    Class flags: ``conservative`` — forced OPEN when the saved state is damaged, until the
    journal rebuilt the figures (:meth:`rebuild`); ``rearm_resets`` — the deliberate re-arm on
    the box closes it and restarts its baseline; ``session`` — a clean restart starts it afresh.
    """

    name: ClassVar[str] = ""
    conservative: ClassVar[bool] = True
    rearm_resets: ClassVar[bool] = False

    def __init__(self, cfg: Any, *, now: float) -> None:  # cfg: appliance.config.RiskConfig
        self.state = BreakerState.CLOSED
        self.reason = ""

    # ------------------------------------------------------------------ hooks (override)
    def on_trade(self, success: bool, pnl: int, now: float) -> list[BreakerChange]:
        """A settled trade: ``success`` (mined / paper fill) or not; ``pnl`` its net (wei)."""
        return []

    def on_equity(self, equity: int, now: float) -> list[BreakerChange]:
        """An absolute valuation of everything the account holds (reference-token wei)."""
        return []

    def on_gas(self, balance_wei: int, now: float) -> list[BreakerChange]:
        """The trading account's native gas balance (wei)."""
        return []

    def poll(self, now: float) -> list[BreakerChange]:
        """Time-driven transitions (cooldowns, daily reset)."""
        return []

    def restart_baseline(self) -> None:
        """What the deliberate re-arm restarts (only called when ``rearm_resets``)."""

    def new_session(self) -> None:
        """A clean restart (the previous stop was graceful)."""

    def rebuild(self, figures: Rebuilt, now: float) -> list[BreakerChange]:
        """After a damaged saved state: take the journal's figures and follow them (close when
        they are within the limit). The default closes the breaker with its figures reset."""
        return self.close("state rebuilt from the journal")

    def figures(self) -> dict[str, Any]:
        """The JSON-able figures to persist (wei as decimal strings)."""
        return {}

    def load_figures(self, data: dict[str, Any]) -> None:
        """Restore :meth:`figures`; raise ``ValueError``/``KeyError``/``TypeError`` if bad."""

    # ------------------------------------------------------------------ common
    def close(self, reason: str) -> list[BreakerChange]:
        if self.state is BreakerState.CLOSED:
            return []
        return [self.set(BreakerState.CLOSED, reason)]

    def trip(self, reason: str, now: float | None = None) -> list[BreakerChange]:
        """Force OPEN (``now``: when, for tiers with a cooldown)."""
        if self.state is BreakerState.OPEN:
            return []
        return [self.set(BreakerState.OPEN, reason)]

    def set(self, new: BreakerState, reason: str) -> BreakerChange:
        old, self.state = self.state, new
        self.reason = "" if new is BreakerState.CLOSED else reason
        return BreakerChange(self.name, old, new, reason)

    def to_json(self) -> dict[str, Any]:
        return {"state": str(self.state), "reason": self.reason, **self.figures()}

    def restore(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise TypeError(f"expected an object, not {type(data).__name__}")
        self.state = BreakerState(data["state"])
        reason = data.get("reason", "")
        if not isinstance(reason, str):
            raise TypeError(f"reason must be a string, not {reason!r}")
        self.reason = reason
        self.load_figures(data)
