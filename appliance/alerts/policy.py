"""Per-webhook rate limit (token bucket) and alert de-duplication, both on Trio's clock."""

from __future__ import annotations

import trio

__all__ = ["Deduplicator", "RateLimiter"]


class RateLimiter:
    """At most ``per_minute`` sends per minute on average, bursts up to ``per_minute``."""

    def __init__(self, per_minute: int) -> None:
        if per_minute < 1:
            raise ValueError(f"per_minute must be >= 1, not {per_minute!r}")
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._tokens = float(per_minute)
        self._at = trio.current_time()

    def _refill(self) -> None:
        now = trio.current_time()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
        self._at = now

    def try_take(self) -> bool:
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait_s(self) -> float:
        """Seconds until the next token (0 when one is there)."""
        self._refill()
        return max(0.0, (1.0 - self._tokens) / self._rate)

    async def take(self) -> None:
        """Wait for a token."""
        while not self.try_take():
            await trio.sleep((1.0 - self._tokens) / self._rate)

    def take_bypass(self) -> None:
        """A CRITICAL alert: sent now, but it still uses a token when one is there."""
        self.try_take()


class Deduplicator:
    """The same key is let through once per ``window_s``."""

    def __init__(self, window_s: float) -> None:
        self._window = window_s
        self._last: dict[str, float] = {}

    def allow(self, key: str) -> bool:
        now = trio.current_time()
        last = self._last.get(key)
        if last is not None and now - last < self._window:
            return False
        self._last[key] = now
        if len(self._last) > 4096:  # forget keys outside the window
            self._last = {k: t for k, t in self._last.items() if now - t < self._window}
        return True

    def note(self, key: str) -> None:
        """Record a send that bypassed :meth:`allow` (CRITICAL), so followers are deduplicated."""
        self._last[key] = trio.current_time()
