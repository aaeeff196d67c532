"""The one health record of an endpoint inside a pool: breaker, backoff, latency, head, stream.

The breaker: ``failures`` consecutive failures open it; after ``reset_s`` it is half-open and lets
one probe through; a success closes it, a failure re-opens it. Independently, every failure puts
the endpoint in an exponential backoff with jitter (so a flapping endpoint is not asked first
while it recovers), cleared by the next success. Time comes from ``trio.current_time()`` so the
logic runs under ``autojump_clock`` in unit tests. ``healthy`` (for the screen, LEDs and
metrics) means: breaker closed, not lagging, no data fault (``fault``: a head that cannot be
fetched, a head going backwards, stale timestamps — set by the head checks, cleared when the
endpoint is consistent again), fewer than ``UNHEALTHY_AFTER`` failures in a row — a single lost
request does not make an endpoint unhealthy. ``ws_url`` and ``stream`` describe the endpoint's
subscription (``""`` without one, ``"live"`` or ``"down"``); the stream task owns ``stream``.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from appliance.chain.rpc import RpcClient
from appliance.chain.ws import WsClient
from appliance.events import EndpointHealth

__all__ = ["Breaker", "Endpoint", "LatencyStats"]

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
UNHEALTHY_AFTER = 3  # failures in a row before the screen calls an endpoint unhealthy


@dataclass
class Breaker:
    failures: int = 5
    reset_s: float = 60.0
    state: str = CLOSED
    consecutive: int = 0
    opened_at: float = 0.0
    probing: bool = False  # a half-open probe is in flight

    def current(self, now: float) -> str:
        if self.state == OPEN and now - self.opened_at >= self.reset_s:
            return HALF_OPEN
        return self.state

    def allows(self, now: float) -> bool:
        state = self.current(now)
        if state == CLOSED:
            return True
        return state == HALF_OPEN and not self.probing

    def begin(self, now: float) -> None:
        if self.current(now) == HALF_OPEN:
            self.state = HALF_OPEN
            self.probing = True

    def success(self) -> None:
        self.state, self.consecutive, self.probing = CLOSED, 0, False

    def failure(self, now: float) -> None:
        self.consecutive += 1
        self.probing = False
        if self.state == HALF_OPEN or self.consecutive >= self.failures:
            self.state, self.opened_at = OPEN, now


@dataclass
class LatencyStats:
    """EWMA of latency plus a window of recent samples for the hedging p90."""

    alpha: float = 0.2
    ewma_s: float | None = None
    samples: deque[float] = field(default_factory=lambda: deque(maxlen=64))

    def add(self, seconds: float) -> None:
        self.ewma_s = (
            seconds
            if self.ewma_s is None
            else self.alpha * seconds + (1 - self.alpha) * self.ewma_s
        )
        self.samples.append(seconds)

    def p90(self) -> float | None:
        if len(self.samples) < 8:
            return None
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


@dataclass
class Endpoint:
    client: RpcClient | WsClient
    breaker: Breaker
    backoff_base_s: float = 0.05
    backoff_cap_s: float = 5.0
    latency: LatencyStats = field(default_factory=LatencyStats)
    head: int | None = None
    lagging: bool = False
    failures_in_row: int = 0
    backoff_until: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    ws_url: str | None = None
    # a warm WebSocket connection of an "http|ws" endpoint for the order path's one request
    # (head + simulation), while its subscription is live; None: the HTTP client serves it
    order_client: WsClient | None = None
    stream: str = ""
    fault: str = ""  # a data-level fault (the endpoint answers, but not the truth)
    clean_probes: int = 0  # consistent probes in a row since the fault (clears it at 3)
    probed_head: int | None = None  # the head number at the last probe (to judge new blocks)
    last_error: str = ""  # the last failed request (host: method: detail), for the reason

    @property
    def host(self) -> str:
        return self.client.host

    def usable(self, now: float) -> bool:
        return self.breaker.allows(now) and not self.fault

    def rested(self, now: float) -> bool:
        return now >= self.backoff_until

    def record_success(self, seconds: float) -> None:
        self.latency.add(seconds)
        self.breaker.success()
        self.failures_in_row = 0
        self.backoff_until = 0.0
        self.last_error = ""

    def record_failure(self, now: float, error: str = "") -> None:
        self.last_error = error
        self.breaker.failure(now)
        self.failures_in_row += 1
        delay = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (self.failures_in_row - 1))
        self.backoff_until = now + delay * (0.5 + 0.5 * self.rng.random())  # "equal jitter"

    def health(self, now: float) -> EndpointHealth:
        breaker = self.breaker.current(now)
        ewma = self.latency.ewma_s
        return EndpointHealth(
            host=self.host,
            healthy=breaker == CLOSED
            and self.failures_in_row < UNHEALTHY_AFTER
            and not self.lagging
            and not self.fault,
            latency_ms=round((ewma or 0.0) * 1000, 3),
            lagging=self.lagging,
            breaker=breaker,
            head=self.head,
            stream=self.stream,
            reason=self.reason(breaker),
        )

    def reason(self, breaker: str) -> str:
        """Why the endpoint is not healthy (``""`` when it is): a data fault first (the endpoint
        answers, but not the truth), then the breaker, lag, a run of failed requests."""
        if self.fault:
            return self.fault
        last = f": {self.last_error}" if self.last_error else ""
        if breaker != CLOSED:
            return f"breaker {breaker} after {self.failures_in_row} failures in a row{last}"
        if self.lagging:
            return "lagging: its head is behind the other endpoints'"
        if self.failures_in_row >= UNHEALTHY_AFTER:
            return f"{self.failures_in_row} failures in a row{last}"
        return ""
