"""Vectorised screening: every cycle folded into one virtual pool, in one numpy pass.

One V2 hop pays ``γ·b·x / (a + γ·x)`` for ``x`` (``a``, ``b`` the reserves in/out, ``γ`` its own
``1 − fee``). Written as ``Eb·x / (Ea + x)`` (``Ea = a/γ``, ``Eb = b``), two hops compose into the
same form::

    Ea' = Ea·a2 / (a2 + γ2·Eb)        Eb' = γ2·Eb·b2 / (a2 + γ2·Eb)

so a cycle of any length and any mix of fees is one virtual pool ``(Ea, Eb)``. It is profitable
iff its marginal rate at zero, ``Eb/Ea``, exceeds 1; then the real optimum is
``x* = sqrt(Ea·Eb) − Ea`` (the issue's ``(sqrt(r·Ea·Eb) − Ea)/r`` with the fee folded into
``Ea``), the output ``Eb·x*/(Ea + x*)`` and the profit ``(sqrt(Eb) − sqrt(Ea))²``. The values stay
at the scale of the reserves, so float64 never overflows however many hops.

Floats only rank: every candidate is re-checked in exact integers (:mod:`.exact`), and the float
profit is an upper bound of the integer one (the pools round down), so ranking by it loses nothing.
"""

from __future__ import annotations

import numpy as np

from appliance.market.state import MarketState
from appliance.strategy.cycles import CycleSet

__all__ = ["Screen", "fold"]


def fold(
    cycles: CycleSet, r0: np.ndarray, r1: np.ndarray, gamma: np.ndarray, ids: np.ndarray, hops: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(Ea, Eb)`` of the cycles ``ids`` (all of length ``hops``); 0/0 where a reserve is 0."""
    p = cycles.pools[ids, :hops]
    z = cycles.zero_for_one[ids, :hops]
    a0, a1 = r0[p], r1[p]
    r_in = np.where(z, a0, a1)
    r_out = np.where(z, a1, a0)
    g = gamma[p]
    with np.errstate(divide="ignore", invalid="ignore"):
        ea = r_in[:, 0] / g[:, 0]
        eb = r_out[:, 0].copy()
        for k in range(1, hops):
            a2, b2, g2 = r_in[:, k], r_out[:, k], g[:, k]
            geb = g2 * eb
            den = a2 + geb
            ea = ea * a2 / den
            eb = geb * b2 / den
    valid = (r_in > 0).all(axis=1) & (r_out > 0).all(axis=1)
    ea = np.where(valid, ea, 1.0)
    eb = np.where(valid, eb, 0.0)
    return ea, eb


class Screen:
    """Cached screening results for every cycle of a :class:`CycleSet`.

    ``update(ids)`` recomputes the given cycles; ``top(n, ...)`` ranks all cycles (fresh and
    cached) by estimated profit net of gas, in native-coin units.
    """

    def __init__(self, cycles: CycleSet, state: MarketState) -> None:
        self.cycles = cycles
        self.state = state
        n = len(cycles)
        self.x_star = np.zeros(n)  # optimal input, base-token units (float)
        self.out_star = np.zeros(n)
        self.profit = np.zeros(n)  # gross profit at x*, base-token units (float); 0 if none
        self._gamma = (10_000.0 - state.fee_bps.astype(np.float64)) / 10_000.0

    def update(self, ids: np.ndarray | None = None) -> int:
        """Re-screen ``ids`` (sorted cycle ids; all when None). Returns how many were evaluated."""
        cycles, state = self.cycles, self.state
        if len(state.fee_bps) != len(self._gamma):
            self._gamma = (10_000.0 - state.fee_bps.astype(np.float64)) / 10_000.0
        total = 0
        for h, (start, end) in cycles.spans.items():
            if end <= start:
                continue
            if ids is None:
                sel = np.arange(start, end)
            else:
                lo, hi = np.searchsorted(ids, (start, end))
                if hi <= lo:
                    continue
                sel = ids[lo:hi]
            ea, eb = fold(cycles, state.r0, state.r1, self._gamma, sel, h)
            good = eb > ea
            with np.errstate(invalid="ignore"):
                root = np.sqrt(ea * eb)
                x = np.where(good, root - ea, 0.0)
                out = np.where(good, eb * x / (ea + x), 0.0)
                profit = np.where(good, (np.sqrt(eb) - np.sqrt(ea)) ** 2, 0.0)
            self.x_star[sel] = x
            self.out_star[sel] = out
            self.profit[sel] = profit
            total += len(sel)
        return total

    def top(self, n: int, base_value: np.ndarray, gas_native: np.ndarray) -> np.ndarray:
        """Up to ``n`` cycle ids with positive estimated net profit, best first.

        ``base_value[token_id]`` is the native value of one unit of a base token (0 if it cannot
        be priced: such cycles never pass, since their gas cannot be priced either);
        ``gas_native[h]`` is the estimated gas cost of an ``h``-leg cycle in native wei.
        """
        score = self.profit * base_value[self.cycles.base] - gas_native[self.cycles.hops]
        positive = np.flatnonzero((score > 0) & (self.profit > 0))
        if len(positive) > n:
            part = np.argpartition(-score[positive], n - 1)[:n]
            positive = positive[part]
        return positive[np.argsort(-score[positive], kind="stable")]
