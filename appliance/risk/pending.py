"""Orders approved but not yet settled: their count and the input they put at stake per base token
and per (pool, base token) — what the gate's exposure limits read. One owner (the engine)."""

from __future__ import annotations

from appliance.events import Candidate

__all__ = ["PendingOrders"]


class PendingOrders:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = float(timeout_s)
        self._orders: dict[str, Candidate] = {}
        self._since: dict[str, float] = {}
        self._version = 0  # bumped on every change (exposure cache key)
        self._cache_version = -1
        self._cache: tuple[dict[str, int], dict[tuple[str, str], int]] = ({}, {})

    def __len__(self) -> int:
        return len(self._orders)

    def add(self, order_id: str, candidate: Candidate, now: float) -> None:
        self._orders[order_id] = candidate
        self._since[order_id] = now
        self._version += 1

    def settle(self, order_id: str) -> Candidate | None:
        """Remove ``order_id`` (a terminal result); its candidate when it was pending."""
        self._since.pop(order_id, None)
        self._version += 1
        return self._orders.pop(order_id, None)

    def expire(self, now: float) -> list[tuple[str, float]]:
        """Orders with no result for ``timeout_s``: stop counting them (one lost result must not
        block trading forever). Returns ``[(order id, age s), ...]``."""
        gone = [(oid, now - t) for oid, t in self._since.items() if now - t >= self.timeout_s]
        for order_id, _ in gone:
            self.settle(order_id)
        return gone

    def exposures(self) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        """Input at stake per base token and per (pool, base token); cached until a change."""
        if self._cache_version != self._version:
            token_exposure: dict[str, int] = {}
            pool_exposure: dict[tuple[str, str], int] = {}
            for cand in self._orders.values():
                base = cand.base_token
                token_exposure[base] = token_exposure.get(base, 0) + cand.amount_in
                for pool in dict.fromkeys(cand.pools):
                    key = (pool, base)
                    pool_exposure[key] = pool_exposure.get(key, 0) + cand.amount_in
            self._cache = (token_exposure, pool_exposure)
            self._cache_version = self._version
        return self._cache

    def as_dict(self) -> dict[str, Candidate]:
        return dict(self._orders)
