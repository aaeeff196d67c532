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
    reserves: np.ndarray,
    in_idx: np.ndarray,
    out_idx: np.ndarray,
    gamma: np.ndarray,
    hops: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``(Ea, Eb)`` of cycles given per hop ``k`` as rows ``in_idx[k]``/``out_idx[k]`` (indices
    into ``reserves``, the interleaved ``[r0, r1]`` of every pool) and ``gamma[k]``.

    A zero reserve must be NaN in ``reserves``: it propagates, and ``Eb > Ea`` is then False.
    """
    a = reserves[in_idx[0]]
    ea = a / gamma[0]
    eb = reserves[out_idx[0]]
    for k in range(1, hops):
        a2 = reserves[in_idx[k]]
        geb = gamma[k] * eb
        den = a2 + geb
        ea = ea * a2 / den
        eb = geb * reserves[out_idx[k]] / den
    return ea, eb


class Screen:
    """Cached screening results for every cycle of a :class:`CycleSet`.

    ``update(ids)`` recomputes the given cycles; ``top(n, ...)`` ranks all cycles (fresh and
    cached) by estimated profit net of gas, in native-coin units. The per-hop gather indices and
    fees are laid out once per cycle set, hop-major, so a pass is a few contiguous array ops.
    """

    def __init__(self, cycles: CycleSet, state: MarketState) -> None:
        self.cycles = cycles
        self.state = state
        n = len(cycles)
        self.x_star = np.zeros(n)  # optimal input, base-token units (float)
        self.out_star = np.zeros(n)
        self.profit = np.zeros(n)  # gross profit at x*, base-token units (float); 0 if none
        pools = np.where(cycles.pools >= 0, cycles.pools, 0).T  # (max_hops, n)
        zfo = cycles.zero_for_one.T
        self._in_idx = np.ascontiguousarray(2 * pools + np.where(zfo, 0, 1))
        self._out_idx = np.ascontiguousarray(2 * pools + np.where(zfo, 1, 0))
        gamma_pool = (10_000.0 - state.fee_bps.astype(np.float64)) / 10_000.0
        self._gamma = np.ascontiguousarray(gamma_pool[pools]) if n else np.ones((1, 0))
        self._max_hops = h_max = max((h for h, (a, b) in cycles.spans.items() if b > a), default=0)
        # a block's re-screen gathers reserves in, out and fees in one take: rows k, h_max + k
        # and 2·h_max + k of ``_gather`` index hop k's into [reserves..., fees per pool...]
        n_flat = 2 * len(state.r0)
        self._gather = np.concatenate(
            [self._in_idx[:h_max], self._out_idx[:h_max], n_flat + pools[:h_max]]
        )
        self._source = np.concatenate([np.empty(n_flat), gamma_pool])
        self._longer = [cycles.hops > k for k in range(h_max)]  # has a hop k
        self._runs = _runs(cycles.base, cycles.hops)
        self._score = np.empty(n)  # minus each cycle's score, filled by top()
        self._run_views = [
            (self.profit[a:b], self._score[a:b], base, hops) for a, b, base, hops in self._runs
        ]

    def _reserves(self) -> np.ndarray:
        """The interleaved ``[r0, r1]`` of every pool, a zero (unknown or empty) reserve NaN,
        written into the head of ``_source`` (whose tail holds the pools' fees)."""
        st = self.state
        n_flat = 2 * len(st.r0)
        if len(self._source) != n_flat + len(st.r0):  # (the pool set changed: rebuilt soon)
            self._source = np.concatenate([np.empty(n_flat), np.ones(len(st.r0))])
        flat = self._source[:n_flat]
        flat[0::2] = st.r0
        flat[1::2] = st.r1
        flat[flat <= 0] = np.nan
        return flat

    def update(self, ids: np.ndarray | None = None) -> int:
        """Re-screen ``ids`` (sorted cycle ids; all when None). Returns how many were evaluated."""
        reserves = self._reserves()
        if ids is not None:
            return self._update_some(reserves, ids)
        total = 0
        for h, (start, end) in self.cycles.spans.items():
            if end <= start:
                continue
            if ids is None:
                sel: slice | np.ndarray = slice(start, end)
                count = end - start
            else:
                lo, hi = np.searchsorted(ids, (start, end))
                if hi <= lo:
                    continue
                sel = ids[lo:hi]
                count = hi - lo
            with np.errstate(invalid="ignore", divide="ignore"):
                ea, eb = fold(
                    reserves,
                    self._in_idx[:h, sel],
                    self._out_idx[:h, sel],
                    self._gamma[:h, sel],
                    h,
                )
                good = eb > ea
                root_a, root_b = np.sqrt(ea), np.sqrt(eb)
                x = np.where(good, root_a * root_b - ea, 0.0)
                profit = np.where(good, (root_b - root_a) ** 2, 0.0)
            self.x_star[sel] = x
            self.out_star[sel] = x + profit
            self.profit[sel] = profit
            total += count
        return total

    def _update_some(self, reserves: np.ndarray, ids: np.ndarray) -> int:
        """Re-screen the cycles ``ids`` of every length in one pass (a block's few hundred
        cycles: the cost is numpy's per-call overhead, so one gather and one fold for all
        lengths instead of one per length). Each cycle goes through exactly the operations of
        :func:`fold` on its own hops (a shorter cycle keeps its values past its last hop), so
        the figures are bit for bit those of the full pass."""
        count = len(ids)
        if count == 0 or self._max_hops == 0:
            return 0
        h_max = self._max_hops
        if reserves.base is self._source:  # one take: reserves in, out, and fees
            gathered = self._source[self._gather[:, ids]]
            r_in, r_out, gamma = (
                gathered[:h_max],
                gathered[h_max : 2 * h_max],
                gathered[2 * h_max :],
            )
        else:
            r_in = reserves[self._in_idx[:h_max, ids]]
            r_out = reserves[self._out_idx[:h_max, ids]]
            gamma = self._gamma[:h_max, ids]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            ea = r_in[0] / gamma[0]
            eb = r_out[0]
            for k in range(1, h_max):
                a2 = r_in[k]
                geb = gamma[k] * eb
                den = a2 + geb
                ea_k = ea * a2 / den
                eb_k = geb * r_out[k] / den
                if k >= 2:  # every cycle has two hops; past that only the longer ones
                    longer = self._longer[k][ids]
                    ea_k = np.where(longer, ea_k, ea)
                    eb_k = np.where(longer, eb_k, eb)
                ea, eb = ea_k, eb_k
            good = eb > ea
            root_a, root_b = np.sqrt(ea), np.sqrt(eb)
            x = np.where(good, root_a * root_b - ea, 0.0)
            profit = np.where(good, (root_b - root_a) ** 2, 0.0)
        self.x_star[ids] = x
        self.out_star[ids] = x + profit
        self.profit[ids] = profit
        return count

    def top(self, n: int, base_value: np.ndarray, gas_native: np.ndarray) -> np.ndarray:
        """Up to ``n`` cycle ids with positive estimated net profit, best first.

        ``base_value[token_id]`` is the native value of one unit of a base token (0 if it cannot
        be priced: such cycles never pass, since their gas cannot be priced either);
        ``gas_native[h]`` is the estimated gas cost of an ``h``-leg cycle in native wei.

        The score ``profit * value - gas`` is computed per run of cycles sharing a base token
        and a length (a handful of runs: scalar value and gas, no per-cycle gathers), over every
        cycle: the same products and differences as over the positive ones alone, and a cycle
        without profit scores ``0 * value - gas <= 0``, so ``score > 0`` picks the very cycles
        (in the same ascending order) that ``profit > 0`` and then ``score > 0`` picked. The
        per-run views of the profits and scores are made once (the arrays are updated in place).
        """
        # minus the score, ``gas - profit * value``: exactly ``-(profit * value - gas)`` (IEEE
        # rounding is symmetric), what the ranking below sorts on, with no negation pass
        for profit, neg, base, hops in self._run_views:
            np.multiply(profit, base_value[base], out=neg)
            np.subtract(gas_native[hops], neg, out=neg)
        positive = np.flatnonzero(self._score < 0)
        neg = self._score[positive]
        if len(positive) > n:
            part = np.argpartition(neg, n - 1)[:n]
            positive, neg = positive[part], neg[part]
        return positive[np.argsort(neg, kind="stable")]


def _runs(base: np.ndarray, hops: np.ndarray) -> list[tuple[int, int, int, int]]:
    """``(start, end, base token id, hops)`` of each run of consecutive cycles with the same base
    token and length (cycles are sorted by length, and by base token within one)."""
    n = len(base)
    if n == 0:
        return []
    cut = np.flatnonzero((base[1:] != base[:-1]) | (hops[1:] != hops[:-1])) + 1
    starts = [0, *cut.tolist()]
    ends = [*cut.tolist(), n]
    return [(a, b, int(base[a]), int(hops[a])) for a, b in zip(starts, ends, strict=True)]
