"""``gas``: the trading account's native gas balance below ``min_gas_balance_wei`` opens it (an
alert and PAUSED: a trade it cannot pay for would only fail); it closes by itself once a balance
at or above the floor is observed. A floor of 0 disables it. It follows observations only, so a
damaged saved state does not force it open."""

from __future__ import annotations

from typing import Any

from appliance.risk.breakers.base import Breaker, BreakerChange, parse_optional_int

__all__ = ["BREAKER", "GasBreaker"]


class GasBreaker(Breaker):
    name = "gas"
    conservative = False

    def __init__(self, cfg: Any, *, now: float) -> None:
        super().__init__(cfg, now=now)
        self._floor = int(getattr(cfg, "min_gas_balance_wei", 0))
        self.balance: int | None = None

    def on_gas(self, balance_wei: int, now: float) -> list[BreakerChange]:
        self.balance = int(balance_wei)
        if self._floor <= 0:
            return self.close("no gas floor configured")
        if self.balance < self._floor:
            return self.trip(f"gas balance {self.balance} wei below the floor {self._floor} wei")
        return self.close(f"gas balance {self.balance} wei at or above the floor {self._floor} wei")

    def rebuild(self, figures, now: float) -> list[BreakerChange]:
        return []  # follows the next observation

    def figures(self) -> dict[str, Any]:
        return {"balance": None if self.balance is None else str(self.balance)}

    def load_figures(self, data: dict[str, Any]) -> None:
        self.balance = parse_optional_int(data.get("balance"))


BREAKER = GasBreaker
