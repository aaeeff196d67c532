"""The set of breakers the engine drives: loaded by name, saved by name.

Persisted as ``{"version": 2, "breakers": {name: {...}, ...}}`` (a JSON string inside
``risk_state.json``). A saved state without some breaker (one added by an upgrade) restores the
others and starts that one fresh; a saved breaker no longer configured is ignored. The format
of version 1 (one flat object for the four original tiers) is still read, so an upgrade never
forgets a tripped daily or drawdown breaker.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from appliance.risk.breakers.base import Breaker, BreakerChange, BreakerState, Rebuilt
from appliance.risk.errors import RiskStateError

__all__ = ["BREAKER_NAMES", "Breakers", "breaker_class"]

BREAKER_NAMES = ("trade", "session", "daily", "drawdown", "gas")
_STATE_VERSION = 2


def breaker_class(name: str) -> type[Breaker]:
    """The breaker of module ``appliance.risk.breakers.<name>`` (its ``BREAKER``)."""
    if not name.isidentifier():
        raise ValueError(f"not a breaker name: {name!r}")
    try:
        module = importlib.import_module(f"appliance.risk.breakers.{name}")
    except ModuleNotFoundError as exc:
        raise ValueError(f"no breaker named {name!r}") from exc
    cls = getattr(module, "BREAKER", None)
    if not (isinstance(cls, type) and issubclass(cls, Breaker) and cls.name == name):
        raise ValueError(f"module {module.__name__} has no BREAKER named {name!r}")
    return cls


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """The flat format of version 1 as saved-by-name objects."""
    states, reasons = data["states"], dict(data.get("reasons") or {})

    def tier(name: str, **figures: Any) -> dict[str, Any]:
        return {"state": states[name], "reason": str(reasons.get(name, "")), **figures}

    return {
        "trade": tier(
            "trade",
            consecutive_failures=data["consecutive_failures"],
            probe_successes=data["probe_successes"],
            opened_at=data["trade_opened_at"],
        ),
        "session": tier("session", pnl=data["pnl_session"]),
        "daily": tier("daily", pnl=data["pnl_today"], day=data["day"]),
        "drawdown": tier("drawdown", equity=data["equity"], peak=data["equity_peak"]),
    }


class Breakers:
    """All tiers, driven by one task; every input returns the state changes it caused."""

    def __init__(self, cfg, *, now: float, names: tuple[str, ...] = BREAKER_NAMES) -> None:
        self.tiers: dict[str, Breaker] = {name: breaker_class(name)(cfg, now=now) for name in names}
        self.states: dict[str, BreakerState] = {n: t.state for n, t in self.tiers.items()}
        self.reasons: dict[str, str] = {}
        self.fresh: tuple[str, ...] = ()  # restored without a saved state of their own
        self.ignored: tuple[str, ...] = ()  # saved but not configured

    # ------------------------------------------------------------------ inputs
    def record_trade(self, success: bool, pnl: int, now: float) -> list[BreakerChange]:
        changes = self.poll(now)
        for tier in self.tiers.values():
            changes += tier.on_trade(success, pnl, now)
        return self._sync(changes)

    def observe_equity(self, equity: int, now: float) -> list[BreakerChange]:
        changes = self.poll(now)
        for tier in self.tiers.values():
            changes += tier.on_equity(equity, now)
        return self._sync(changes)

    def observe_gas(self, balance_wei: int, now: float) -> list[BreakerChange]:
        changes = self.poll(now)
        for tier in self.tiers.values():
            changes += tier.on_gas(balance_wei, now)
        return self._sync(changes)

    def poll(self, now: float) -> list[BreakerChange]:
        changes: list[BreakerChange] = []
        for tier in self.tiers.values():
            changes += tier.poll(now)
        return self._sync(changes)

    def reset(self, name: str, reason: str) -> list[BreakerChange]:
        """Deliberate reset of ``name``: its baseline restarts and it closes."""
        tier = self.tiers[name]
        tier.restart_baseline()
        return self._sync(tier.close(reason))

    def rearm(self, reason: str) -> list[BreakerChange]:
        """The deliberate re-arm on the box: reset every tier that the re-arm resets."""
        changes: list[BreakerChange] = []
        for name, tier in self.tiers.items():
            if tier.rearm_resets:
                changes += self.reset(name, reason)
        return changes

    def trip_damaged(self, reason: str, now: float) -> list[BreakerChange]:
        """The saved state is damaged: every conservative tier OPEN until :meth:`rebuild`."""
        changes: list[BreakerChange] = []
        for tier in self.tiers.values():
            if tier.conservative:
                changes += tier.trip(reason, now)
        return self._sync(changes)

    def rebuild(self, figures: Rebuilt, now: float) -> list[BreakerChange]:
        """The journal rebuilt the figures: every tier follows them from now on."""
        changes: list[BreakerChange] = []
        for tier in self.tiers.values():
            changes += tier.rebuild(figures, now)
        return self._sync(changes)

    # ------------------------------------------------------------------ queries
    def __getitem__(self, name: str) -> Breaker:
        return self.tiers[name]

    def snapshot(self) -> dict[str, str]:
        return {name: str(state) for name, state in self.states.items()}

    @property
    def any_open(self) -> bool:
        return any(s is BreakerState.OPEN for s in self.states.values())

    def _figure(self, tier: str, attr: str, default: Any) -> Any:
        t = self.tiers.get(tier)
        return getattr(t, attr) if t is not None else default

    @property
    def pnl_session(self) -> int:
        return self._figure("session", "pnl", 0)

    @property
    def pnl_today(self) -> int:
        return self._figure("daily", "pnl", 0)

    @property
    def day(self) -> int | None:
        return self._figure("daily", "day", None)

    @property
    def equity(self) -> int | None:
        return self._figure("drawdown", "equity", None)

    @property
    def equity_peak(self) -> int:
        return self._figure("drawdown", "peak", 0)

    @property
    def drawdown_pct(self) -> float:
        return self._figure("drawdown", "pct", 0.0)

    @property
    def consecutive_failures(self) -> int:
        return self._figure("trade", "consecutive_failures", 0)

    # ------------------------------------------------------------------ persistence
    def to_json(self) -> str:
        return json.dumps(
            {
                "version": _STATE_VERSION,
                "breakers": {name: tier.to_json() for name, tier in self.tiers.items()},
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(
        cls,
        text: str,
        cfg,
        *,
        now: float,
        new_session: bool = False,
        names: tuple[str, ...] = BREAKER_NAMES,
    ) -> Breakers:
        """Restore; ``new_session`` (a clean restart) starts the session tiers afresh. A daily
        reset that passed while the appliance was off applies at once. Raises
        :class:`RiskStateError` naming what is damaged."""
        self = cls(cfg, now=now, names=names)
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError(f"expected an object, not {type(data).__name__}")
            version = data.get("version")
            if version == 1:
                saved = _from_v1(data)
            elif version == _STATE_VERSION:
                saved = data["breakers"]
                if not isinstance(saved, dict):
                    raise TypeError(f"breakers must be an object, not {type(saved).__name__}")
            else:
                raise ValueError(f"unknown version {version!r}")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RiskStateError(f"breaker state unreadable: {exc} in {text[:200]!r}") from exc
        for name, tier in self.tiers.items():
            if name not in saved:
                continue
            try:
                tier.restore(saved[name])
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise RiskStateError(
                    f"breaker state unreadable: {name}: {type(exc).__name__}: {exc}"
                ) from exc
        self.fresh = tuple(n for n in self.tiers if n not in saved)
        self.ignored = tuple(n for n in saved if n not in self.tiers)
        if new_session:
            for tier in self.tiers.values():
                tier.new_session()
        self._sync([])
        self.poll(now)  # a daily reset that happened while we were off
        return self

    # ------------------------------------------------------------------ internals
    def _sync(self, changes: list[BreakerChange]) -> list[BreakerChange]:
        for name, tier in self.tiers.items():
            self.states[name] = tier.state
            if tier.state is BreakerState.CLOSED:
                self.reasons.pop(name, None)
            else:
                self.reasons[name] = tier.reason
        return changes
