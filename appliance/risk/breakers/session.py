"""``session``: net loss since the session began >= ``session_loss_wei`` opens it, until a new
session (a clean restart) or the deliberate re-arm."""

from __future__ import annotations

from typing import Any

from appliance.risk.breakers.base import Breaker, BreakerChange, parse_int

__all__ = ["BREAKER", "SessionBreaker"]


class SessionBreaker(Breaker):
    name = "session"
    rearm_resets = True

    def __init__(self, cfg: Any, *, now: float) -> None:
        super().__init__(cfg, now=now)
        self._limit = int(cfg.session_loss_wei)
        self.pnl = 0

    def on_trade(self, success: bool, pnl: int, now: float) -> list[BreakerChange]:
        self.pnl += pnl
        if self.pnl < 0 and -self.pnl >= self._limit:
            return self.trip(f"session loss {-self.pnl} wei >= {self._limit}")
        return []

    def restart_baseline(self) -> None:
        self.pnl = 0

    def new_session(self) -> None:
        self.pnl = 0
        self.close("new session")

    def rebuild(self, figures, now: float) -> list[BreakerChange]:
        self.pnl = 0  # this start is a new session: its loss so far is nothing
        return self.close("state rebuilt from the journal: a new session")

    def figures(self) -> dict[str, Any]:
        return {"pnl": str(self.pnl)}  # str: wei exceed JSON's safe integers elsewhere

    def load_figures(self, data: dict[str, Any]) -> None:
        self.pnl = parse_int(data["pnl"])


BREAKER = SessionBreaker
