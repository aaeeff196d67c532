"""Who gets an opportunity first: the fill models of a backtest.

``AlwaysFirst`` is the optimist's model (every approved order fills). ``Competition`` is the
honest one: each approved order races ``rivals`` other searchers; our reaction time and each
rival's are drawn from log-normal distributions around their medians (``latency_ms``,
``rival_latency_ms``, spread ``sigma``), and we fill only when ours is the shortest. Draws come
from a ``random.Random(seed)`` the backtest owns, so a run is reproducible and a Monte Carlo is N
seeds. Floats here are probabilities and milliseconds, never amounts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Protocol

from appliance.backtest.errors import BacktestError

__all__ = ["AlwaysFirst", "Competition", "FillModel", "percentiles"]


class FillModel(Protocol):
    def first(self, rng: random.Random) -> bool:
        """Whether our order is the one that fills (one draw)."""
        ...

    def describe(self) -> dict[str, object]: ...


@dataclass(frozen=True, slots=True)
class AlwaysFirst:
    def first(self, rng: random.Random) -> bool:
        return True

    def describe(self) -> dict[str, object]:
        return {"model": "always-first"}


@dataclass(frozen=True, slots=True)
class Competition:
    latency_ms: float = 50.0
    rival_latency_ms: float = 150.0
    rivals: int = 2
    sigma: float = 0.6

    def __post_init__(self) -> None:
        if not (self.latency_ms > 0 and self.rival_latency_ms > 0):
            raise BacktestError(
                f"latencies must be > 0 ms, not {self.latency_ms!r} / {self.rival_latency_ms!r}"
            )
        if self.rivals < 0:
            raise BacktestError(f"rivals must be >= 0, not {self.rivals!r}")
        if not 0 <= self.sigma <= 5:
            raise BacktestError(f"sigma must be between 0 and 5, not {self.sigma!r}")

    def first(self, rng: random.Random) -> bool:
        ours = self.latency_ms * math.exp(rng.gauss(0.0, self.sigma))
        return all(
            ours < self.rival_latency_ms * math.exp(rng.gauss(0.0, self.sigma))
            for _ in range(self.rivals)
        )

    def probability(self, draws: int = 20_000, seed: int = 0) -> float:
        """The chance of being first, estimated by ``draws`` draws (for display)."""
        rng = random.Random(seed)
        return sum(self.first(rng) for _ in range(draws)) / draws

    def describe(self) -> dict[str, object]:
        return {
            "model": "competition",
            "latency_ms": self.latency_ms,
            "rival_latency_ms": self.rival_latency_ms,
            "rivals": self.rivals,
            "sigma": self.sigma,
            "p_first": round(self.probability(), 4),
        }


def percentiles(values: list[int], qs: tuple[int, ...] = (5, 25, 50, 75, 95)) -> dict[str, int]:
    """Nearest-rank percentiles of exact integers (no interpolation: stays integer wei)."""
    if not values:
        return {}
    ordered = sorted(values)
    out = {}
    for q in qs:
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        out[f"p{q}"] = ordered[rank - 1]
    return out
