"""Risk measures over rolling windows (numpy): VaR/CVaR, volatility regime, Kelly, correlation.

These are statistics, so they are floats (wei as float64: ~16 significant digits is plenty for a
percentile). Nothing here gates a trade by itself: the engine turns the regime into a size
multiplier, Kelly into a size cap and correlations into exposure scales, and the gate applies
those with exact integer arithmetic.

Windows are fixed-size ring buffers (one preallocated array each), so an update is O(1) and a
VaR/CVaR evaluation one ``np.partition`` over at most ``window`` points — O(n), no sort.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "REGIME_MULTIPLIER",
    "KellySizer",
    "PriceReturns",
    "RingBuffer",
    "TailRisk",
    "TailRiskFigures",
    "exposure_scales",
    "tail_risk",
    "vol_regime",
]

REGIME_MULTIPLIER = {"low": 1.0, "medium": 0.5, "high": 0.25}


class RingBuffer:
    """The last ``capacity`` floats, in a preallocated array."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, not {capacity!r}")
        self._data = np.zeros(capacity, dtype=np.float64)
        self._next = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, value: float) -> None:
        self._data[self._next] = value
        self._next = (self._next + 1) % self._data.shape[0]
        self._count = min(self._count + 1, self._data.shape[0])

    def extend(self, values) -> None:
        for v in values:
            self.append(float(v))

    def values(self) -> np.ndarray:
        """The held values in no particular order (a view while the buffer is not full)."""
        return self._data[: self._count] if self._count < self._data.shape[0] else self._data

    def ordered(self) -> np.ndarray:
        """The held values oldest first (a copy)."""
        if self._count < self._data.shape[0]:
            return self._data[: self._count].copy()
        return np.roll(self._data, -self._next)


@dataclass(frozen=True, slots=True)
class TailRiskFigures:
    """Losses as positive numbers (wei): VaR = the loss not exceeded with that confidence,
    CVaR = the mean loss beyond it. All zero with fewer than two points."""

    var95: float = 0.0
    cvar95: float = 0.0
    var99: float = 0.0
    cvar99: float = 0.0
    points: int = 0


def _tail_index(n: int, tail_pct: int) -> int:
    """0-based index of the historical ``tail_pct`` % quantile: the ceil(n·tail/100)-th smallest
    outcome (integer arithmetic: no float rounding of 1 − 0.95)."""
    return max(0, -(-n * tail_pct // 100) - 1)


def tail_risk(pnl: np.ndarray) -> TailRiskFigures:
    """Historical VaR and CVaR at 95 % and 99 % of a P&L sample (gains positive)."""
    n = int(pnl.shape[0])
    if n < 2:
        return TailRiskFigures(points=n)
    k95, k99 = _tail_index(n, 5), _tail_index(n, 1)
    part = np.partition(pnl, sorted({k95, k99}))
    return TailRiskFigures(
        var95=max(0.0, -float(part[k95])),
        cvar95=max(0.0, -float(part[: k95 + 1].mean())),
        var99=max(0.0, -float(part[k99])),
        cvar99=max(0.0, -float(part[: k99 + 1].mean())),
        points=n,
    )


class TailRisk:
    """VaR/CVaR of a rolling sample: :attr:`figures` are computed when read after a change
    (a sample fed every block but read rarely costs an append per point, not a partition)."""

    def __init__(self, window: int) -> None:
        self._buf = RingBuffer(window)
        self._figures = TailRiskFigures()
        self._stale = False

    def __len__(self) -> int:
        return len(self._buf)

    @property
    def figures(self) -> TailRiskFigures:
        if self._stale:
            self._figures = tail_risk(self._buf.values())
            self._stale = False
        return self._figures

    def push(self, value: float) -> None:
        """Append a point; the figures follow when next read."""
        self._buf.append(value)
        self._stale = True

    def add(self, value: float) -> TailRiskFigures:
        self.push(value)
        return self.figures

    def load(self, values) -> TailRiskFigures:
        """Append many points (e.g. history from the journal), recomputing once."""
        self._buf.extend(values)
        self._stale = True
        return self.figures

    def values(self) -> np.ndarray:
        return self._buf.values()


def _mean(x: np.ndarray) -> float:
    """``x.mean()`` of a 1-D float64 array, the very same operations (one pairwise sum, one
    division) without the generic reduction's Python overhead: bit for bit equal."""
    return x.sum() / x.shape[0]


def _std(x: np.ndarray, ddof: int = 0) -> float:
    """``x.std(ddof=ddof)`` of a 1-D float64 array, computed as numpy's ``_var`` does (mean,
    deviations squared in place, pairwise sum, division, square root): bit for bit equal, at
    a third of the cost (this runs for every token and pair at every block)."""
    n = x.shape[0]
    dev = x - x.sum() / n
    np.square(dev, out=dev)
    return math.sqrt(dev.sum() / max(n - ddof, 0))


def vol_regime(volatility: float, medium: float, high: float) -> str:
    """``low`` / ``medium`` / ``high`` for a per-block stdev of log returns."""
    if not volatility < high:  # NaN counts as high: unknown is not calm
        return "high"
    if volatility >= medium:
        return "medium"
    return "low"


class PriceReturns:
    """Per-block log returns of several tokens' prices (in one numeraire), aligned by row.

    A token missing from an observation gets NaN for that row; statistics skip NaNs pairwise.

    Each token's returns are one contiguous row of the window (ring order), and the gaps in the
    filled part are counted per token: a series without gaps is used as it is, the very values
    (in the same order and layout) that dropping its NaNs would copy (one price observation per
    block: the statistics run at every block).
    """

    def __init__(self, window: int) -> None:
        self._window = window
        self._tokens: list[str] = []
        self._cols = np.full((0, window), np.nan)  # token -> its returns, by ring slot
        self._gaps: list[int] = []  # per token: non-finite returns in the filled slots
        self._next = 0
        self._count = 0
        self._last: dict[str, float] = {}

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(self._tokens)

    def __len__(self) -> int:
        return self._count

    def observe(self, prices: Mapping[str, float]) -> None:
        for token in prices:
            if token not in self._tokens:
                self._tokens.append(token)
                self._cols = np.concatenate([self._cols, np.full((1, self._window), np.nan)])
                self._gaps.append(self._count)  # no returns before it was seen
        row = [math.nan] * len(self._tokens)
        for i, token in enumerate(self._tokens):
            price = prices.get(token)
            last = self._last.get(token)
            if price is not None and price > 0 and last is not None and last > 0:
                row[i] = math.log(price / last)
            if price is not None and price > 0:
                self._last[token] = float(price)
        gaps, slot = self._gaps, self._next
        if self._count == self._window:  # the slot's old returns leave the window
            for i, old in enumerate(self._cols[:, slot].tolist()):
                gaps[i] -= not math.isfinite(old)
        for i, new in enumerate(row):
            gaps[i] += not math.isfinite(new)
        self._cols[:, slot] = row
        self._next = (slot + 1) % self._window
        self._count = min(self._count + 1, self._window)

    def _data(self) -> np.ndarray:
        """The filled window as rows of every token's return (ring order)."""
        return self._series().T

    def _series(self) -> np.ndarray:
        return self._cols[:, : self._count] if self._count < self._window else self._cols

    def volatility(self, min_points: int = 5) -> dict[str, float]:
        """Per token: stdev of its log returns (tokens with fewer than ``min_points`` omitted)."""
        series = self._series()
        out = {}
        for i, token in enumerate(self._tokens):
            col = series[i]
            if self._gaps[i]:
                col = col[np.isfinite(col)]
            if col.shape[0] >= min_points:
                out[token] = _std(col, ddof=1)
        return out

    def correlation(
        self, tokens: tuple[str, ...] | None = None, min_points: int = 5
    ) -> dict[tuple[str, str], float]:
        """Pairwise Pearson correlation of returns (pairs with too few common points, or a
        constant series, omitted)."""
        series = self._series()
        names = self._tokens if tokens is None else [t for t in tokens if t in self._tokens]
        idx = {t: self._tokens.index(t) for t in names}
        out: dict[tuple[str, str], float] = {}
        for a_pos, a in enumerate(names):
            for b in names[a_pos + 1 :]:
                x, y = series[idx[a]], series[idx[b]]
                if self._gaps[idx[a]] or self._gaps[idx[b]]:
                    ok = np.isfinite(x) & np.isfinite(y)
                    if int(ok.sum()) < min_points:
                        continue
                    xs, ys = x[ok], y[ok]
                elif x.shape[0] < min_points:
                    continue
                else:
                    xs, ys = x, y
                sx, sy = _std(xs), _std(ys)
                if sx == 0 or sy == 0:
                    continue
                rho = float(_mean((xs - _mean(xs)) * (ys - _mean(ys))) / (sx * sy))
                out[(a, b)] = out[(b, a)] = max(-1.0, min(1.0, rho))
        return out


def exposure_scales(
    held: tuple[str, ...], corr: Mapping[tuple[str, str], float]
) -> dict[str, float]:
    """Per held token a factor in [0.5, 1] shrinking its exposure limit when it moves with the
    other holdings: ``1 / (1 + mean positive correlation with the others)``. Correlated holdings
    behave like one bigger position, so each gets less room."""
    out = {}
    for t in held:
        others = [max(0.0, corr.get((t, o), 0.0)) for o in held if o != t]
        mean = sum(others) / len(others) if others else 0.0
        out[t] = 1.0 / (1.0 + mean)
    return out


class KellySizer:
    """Fractional Kelly from realized hit rate and payoff ratio, capped.

    ``f* = p − (1 − p) / b`` with ``p`` the hit rate and ``b`` the mean win over the mean loss;
    the cap is ``fraction × f*`` clipped to ``[0, cap_pct %]`` of inventory. ``None`` until
    ``min_trades`` wins and losses were seen (no opinion yet: only the configured caps apply).
    """

    def __init__(self, fraction: float, cap_pct: float, min_trades: int) -> None:
        self.fraction = float(fraction)
        self.cap = float(cap_pct) / 100.0
        self.min_trades = int(min_trades)

    def bet_fraction(self, pnl: np.ndarray) -> float | None:
        wins = pnl[pnl > 0]
        losses = pnl[pnl < 0]
        n = int(wins.shape[0] + losses.shape[0])
        if n < self.min_trades:
            return None
        p = wins.shape[0] / n
        if losses.shape[0] == 0:
            full = 1.0
        elif wins.shape[0] == 0:
            full = 0.0
        else:
            b = float(wins.mean()) / float(-losses.mean())
            full = p - (1.0 - p) / b
        return min(self.cap, max(0.0, self.fraction * full))
