"""Exact sizing on a piecewise path (any hop not constant-product, e.g. Uniswap V3).

A V3 hop's output is piecewise: one V2-like curve per tick range, the pieces joined where a swap
crosses an initialized tick (or a bitmap word edge, where the pool rounds too), so the closed
form of :mod:`.exact` does not apply. What every hop of every kind does have is **monotonicity**:
paying more in never gets less out (the pool moves its price further and pays the extra range).
So the path's exact integer output ``F`` is non-decreasing in the input ``x`` (on the inputs the
pools accept), and over any interval ``[u, v]`` of inputs::

    profit(x) = F(x) − x  <=  F(v) − u        for every integer x in [u, v]

A second, tight bound comes from each pool's **real-valued curve** ``R`` (the same swap in exact
real arithmetic, :meth:`~appliance.market.kinds.PoolKind.relaxation`): the contract rounds every
step in its own favour, so ``F(x) <= R(x)``; ``R`` is concave (a hop's marginal rate is its price
after the fee, and the price only moves one way; a composition of concave non-decreasing curves
is concave). So over ``(u, v]`` the profit is below both tangents of ``R(x) − x`` at ``u`` and
``v``, i.e. below where they cross. The curves are evaluated in integers rounded the safe way
(the value and the left slope from above, the right slope from below), so each figure is a
bound, not an estimate.

These bounds are the whole proof. The search is a best-first branch and bound over
``[1, cap]``: keep intervals with their bound; split the one with the highest bound at its
middle (one exact path evaluation, which may also improve the best profit); drop every
interval whose bound is no better than the best profit found (or the ``floor``, e.g. the gas
cost). The tangent bound of an interval is computed only when it comes to the top (most are
dropped before). When no interval is left the best input is **proven optimal** over every
integer in ``[1, cap]``.
Inputs a pool refuses (nothing would come out, or a swap would leave the fetched tick window,
or liquidity runs out before the input is taken) are not tradeable; refusals are monotone too:
an interval below a refused-for-smallness input is dropped, one above an accepted input whose
end is refused is split until the accepted range is pinned.

The first evaluations go where the optimum is likely. With the pools' constant-product pieces
(:meth:`~appliance.market.kinds.PoolKind.curve`: within one liquidity range a V3 pool is a V2
pair on its virtual reserves) :func:`closed_form_seed` walks the real-valued curve range by
range: the pieces the hops are in fold into one ``N·d/(D + C·d)`` whose profit peaks in closed
form; if the peak lies inside them it is the real optimum (the profit is concave), else the walk
moves to where the first hop leaves its range. Four points bracket it: the optimum, the next
integer, and the optimum ± the width over which the real profit falls by about one wei, where
the tangents at the bracket's ends bound every input within a few wei of the real peak; the
branch and bound then closes the rest of ``[1, cap]`` with a small budget (``SEEDED_EVALS``).
Without pieces (or when the walk cannot reach the peak inside the fetched ticks) the search
starts from ``hint`` (the screen's float estimate) and a fan around it, then a golden-section
search down to a relative width of 1e-5. Either way the best profit is good early and most
intervals are dropped at once. The walk has a budget (``max_evals``); past it the best found is
returned with ``proven=False`` and its ``gap``: no input earns more than ``profit + gap``
(``-1``: unknown, the accepted range was not pinned yet; the gap counts the tangent bounds of
the few highest open intervals only). On deep pools no budget proves the last wei (the real
profit is flat within one wei over ~1e10 inputs, and the pools' roundings scatter the exact one
below it): the seeded search certifies a gap of a few wei there. Tests check proven optimality
against exhaustive brute force on small pools (hypothesis), with and without the tangents and
the seed, that the seed is the real optimum, that a gap is never too small, and that on deep
pools the seeded search earns at least what the golden-section one does.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from appliance.events import Candidate, Leg
from appliance.strategy.exact import Optimum, candidate_of

__all__ = [
    "MAX_EVALS",
    "closed_form_seed",
    "optimal_input_piecewise",
    "path_quote",
    "path_relaxation",
    "recheck_piecewise",
]

MAX_EVALS = 40
SEEDED_EVALS = (
    8  # the budget when the closed-form seed found the real optimum (4 of them: its bracket)
)

PathQuote = Callable[[int], "list[int] | None"]


def path_quote(quoters: Sequence[Callable[[int], int | None]]) -> PathQuote:
    """Per-leg outputs of the path for input ``x``, None when any pool refuses."""

    def quote(x: int) -> list[int] | None:
        out = []
        y = x
        for q in quoters:
            got = q(y)
            if got is None or got <= 0:
                return None
            out.append(got)
            y = got
        return out

    return quote


_MAX_REFINE = 24  # tangent bounds computed in the search (each costs two real-valued paths)
_GAP_REFINE = 16  # open intervals whose tangent bound is computed for the reported gap
_GRID = 1 << 64  # slopes are kept as multiples of 2^-64, rounded the safe way


class PathRelaxation:
    """The path's real-valued curve ``R`` (an upper bound of the exact output, concave): at a
    point, ``R`` from above and its slope from below or from above, as the tangent bounds
    need them. Every hop rounds the safe way (``R`` is non-decreasing, its slope
    non-increasing): for the trader for the value and the slope's lower bound, for the pool for
    the slope's upper bound. So the arithmetic stays integer and every figure is a bound."""

    def __init__(self, relaxations: Sequence[Callable[[int, bool], Any]]) -> None:
        self.relaxations = relaxations
        self._up: dict[int, tuple[int, Fraction] | None] = {}
        self._down: dict[int, Fraction | None] = {}

    def _chain(self, x: int, up: bool) -> tuple[int, Fraction] | None:
        """``up``: every hop rounded for the trader (``R`` from above, the slope from below);
        else for the pool (inputs below the real ones: the slope from above)."""
        y, slope = x, _GRID  # the slope as a multiple of 2^-64
        for relax in self.relaxations:
            got = relax(y, up)
            if got is None:
                return None
            y, d = got
            slope = slope * d // _GRID if up else -(-slope * d // _GRID)
        return y, Fraction(slope, _GRID)

    def value_and_low_slope(self, x: int) -> tuple[int, Fraction] | None:
        """``(⌈R(x)⌉, a lower bound of R'(x))``."""
        if x not in self._up:
            self._up[x] = self._chain(x, True)
        return self._up[x]

    def high_slope(self, x: int) -> Fraction | None:
        """An upper bound of ``R'(x)`` (the right derivative)."""
        if x not in self._down:
            got = self._chain(x, False)
            self._down[x] = None if got is None else got[1]
        return self._down[x]


def path_relaxation(relaxations: Sequence[Callable[[int, bool], Any]]) -> PathRelaxation:
    return PathRelaxation(relaxations)


def _left_bound(relax: PathRelaxation, u: int, v: int | None) -> Fraction | None:
    """From the tangent at ``u`` alone: ``max (R(x) − x)`` over ``(u, v]`` (``v=None``: all
    ``x > u``, bounded only when the slope there is at most 1)."""
    at_u = relax.value_and_low_slope(u)
    s_u = relax.high_slope(u)
    if at_u is None or s_u is None:
        return None
    r_u = at_u[0]
    if s_u <= 1:
        return r_u + s_u - (u + 1)  # falling from x = u + 1 on
    if v is None:
        return None
    return r_u + (s_u - 1) * (v - u) - u


def _grid(slope: Fraction) -> int:
    """A slope on the 2^-64 grid as its integer numerator."""
    return slope.numerator * (_GRID // slope.denominator)


def _tangent_bound(relax: PathRelaxation, u: int, v: int) -> int | None:
    """``max (R(x) − x)`` over the integers of ``(u, v]`` under the tangents at both ends (they
    cross once: the max of their minimum is at the integer either side of the crossing)."""
    left = _left_bound(relax, u, v)
    at_v = relax.value_and_low_slope(v)
    if left is None:
        return None
    best = math.floor(left)
    at_u, s_u = relax.value_and_low_slope(u), relax.high_slope(u)
    if at_v is None or at_u is None or s_u is None:
        return best
    r_u, r_v = at_u[0], at_v[0]
    g_u, g_v = _grid(s_u), _grid(at_v[1])

    def under(x: int) -> int:  # floor(min(tangent at u, tangent at v) − x) at integer x
        return min(
            (_GRID * (r_u - x) + g_u * (x - u)) // _GRID,
            (_GRID * (r_v - x) + g_v * (x - v)) // _GRID,
        )

    lo = u + 1
    # min(tangent_u, tangent_v) is concave and piecewise linear: its max over the integers of
    # [lo, v] is at an end or at an integer next to where the tangents cross
    candidates = {lo, v}
    if g_u > g_v:
        xc = (_GRID * (r_v - r_u) + g_u * u - g_v * v) // (g_u - g_v)
        candidates |= {min(max(x, lo), v) for x in (xc, xc + 1)}
    return min(best, max(under(x) for x in candidates))


def optimal_input_piecewise(
    quote: PathQuote,
    cap: int,
    *,
    floor: int = 0,
    hint: int | None = None,
    max_evals: int = MAX_EVALS,
    relax: PathRelaxation | None = None,
    seed: tuple[float, float] | None = None,
) -> Optimum | None:
    """The integer input in ``[1, cap]`` with the largest profit, or None if none exceeds
    ``floor`` (see the module doc for the method and its proof). ``seed``: the real-valued
    optimum and a bracket half-width (:func:`closed_form_seed`), evaluated instead of the
    golden-section search."""
    if cap < 1:
        return None
    floor = max(floor, 0)
    seen: dict[int, list[int] | None] = {}
    best: list = [None]  # (profit, x, amounts)
    accepted_low: list[int | None] = [None]  # smallest input known accepted

    def at(x: int) -> list[int] | None:
        if x not in seen:
            amounts = quote(x)
            seen[x] = amounts
            if amounts is not None:
                if accepted_low[0] is None or x < accepted_low[0]:
                    accepted_low[0] = x
                profit = amounts[-1] - x
                if best[0] is None or profit > best[0][0]:
                    best[0] = (profit, x, amounts)
        return seen[x]

    if seed is not None:  # the real optimum, bracketed where the tangents bound it tightly
        x0, width = min(max(int(seed[0]), 1), cap), max(int(seed[1]), 1)
        for x in sorted({min(max(x, 1), cap) for x in (x0 - width, x0, x0 + 1, x0 + width)}):
            at(x)
    else:  # the hint and a fan around it; a golden-section search around the best of them
        centre = min(max(hint or 0, 1), cap) if hint else max(cap // 2, 1)
        for x in sorted({min(max(centre * k // 8, 1), cap) for k in (1, 4, 8, 16, 32)}):
            at(x)
        start = best[0][1] if best[0] is not None else centre
        _golden(at, max(start // 2, 1), min(start * 2, cap), accepted_low, budget=max_evals - 12)

    at(cap)
    inf = float("inf")

    def level() -> int:
        return floor if best[0] is None else max(floor, best[0][0])

    def bound(u: int, v: int) -> float:
        """Monotone upper bound of the profit over the inputs ``(u, v]`` (``v`` evaluated)."""
        fv = seen[v]
        if fv is not None:
            return fv[-1] - (u + 1)
        low = accepted_low[0]
        if low is not None and v < low:
            return -inf  # refused for smallness: nothing at or below trades
        return inf  # above an accepted input (or none known yet): split until pinned

    def tighter(u: int, v: int) -> float | None:
        """The tangent bound of ``(u, v]`` (the relaxation), None when it cannot tell."""
        if relax is None or v - u < 3:
            return None
        if seen[v] is not None:
            return _tangent_bound(relax, u, v)
        if (low := accepted_low[0]) is not None and v > low:
            tail = _left_bound(relax, u, None)  # refused inputs do not trade: R bounds the rest
            return None if tail is None else math.floor(tail)
        return None

    # (−bound, u, v, refined): an interval's cheap monotone bound first; the tangent bound is
    # computed only when the interval comes to the top (lazily: most are dropped before)
    heap: list[tuple[float, int, int, bool]] = []

    def push(u: int, v: int) -> None:
        if v - u >= 2:  # (u, v] with one point is v itself: evaluated already
            b = bound(u, v)
            if b > level():
                heapq.heappush(heap, (-b, u, v, relax is None))

    points = sorted(seen)
    for u, v in zip([0, *points], points, strict=False):
        push(u, v)
    refinements = 0
    while heap and len(seen) < max_evals:
        neg, u, v, refined = heapq.heappop(heap)
        if -neg <= level():
            heap.clear()  # best first: every other interval is bounded no higher
            break
        if not refined:
            refinements += 1
            t = tighter(u, v) if refinements <= _MAX_REFINE else None
            if t is not None and t <= level():
                continue  # closed by the tangents, without a quote
            heapq.heappush(heap, (neg if t is None else -min(-neg, t), u, v, True))
            continue
        m = (u + v) // 2
        at(m)
        push(u, m)
        push(m, v)
    # what is left open: the tangent bounds of the few highest, for an honest gap
    heap.sort()
    for k, (neg, u, v, refined) in enumerate(heap[:_GAP_REFINE]):
        if not refined:
            t = tighter(u, v)
            if t is not None:
                heap[k] = (-min(-neg, t), u, v, True)
    bar = level()
    open_bounds = [-b for b, *_ in heap if -b > bar]
    if best[0] is None or best[0][0] <= floor:
        return None
    profit, x, amounts = best[0]
    worst = max(open_bounds, default=profit)
    gap = 0 if worst <= profit else (-1 if worst == inf else int(worst) - profit)
    return Optimum(x, tuple(amounts), profit, not open_bounds, len(seen), gap)


_MAX_PIECES = 64  # liquidity ranges the seed walks through before it gives up
_PAST_EDGE = 1e-9


def closed_form_seed(
    curves: Sequence[Callable[[int], Any]], cap: int
) -> tuple[float, float] | None:
    """The real-valued optimum of the path, piece by piece (floats: a seed, never a bound).

    Within one liquidity range of every hop the path is a chain of constant-product curves on
    (virtual) reserves, which folds into one ``N·d / (D + C·d)`` (as :func:`.exact.fold_exact`)
    whose profit peaks at ``d* = (√(N·D) − D)/C``. From ``x`` (0 first) the walk takes the
    pieces the hops are in at ``x``, and either the peak lies inside them (the answer: the
    real profit is concave, so the first peak inside its pieces is the optimum), or it moves
    ``x`` to where the first hop leaves its range and goes on. Returns the optimum and the
    half-width of a bracket around it over which the profit falls by about one wei
    (``√(2/|f''|)``, ``f'' = −2C/√(N·D)`` at the peak): the tangents at its ends bound the
    profit within a few wei. None when a curve cannot tell (beyond the fetched ticks), the
    walk does not reach the peak, or the path does not pay at all."""
    x = 0.0
    for _ in range(_MAX_PIECES):
        y = x
        n, d, c = 1.0, 1.0, 0.0
        leave = math.inf  # the extra input at which the first hop leaves its piece
        for curve in curves:
            got = curve(int(y))
            if got is None:
                return None
            out, a, b, g, room = got
            if n > c * room:  # this hop's input grows by n·t / (d + c·t): reaches room at t
                leave = min(leave, room * d / (n - c * room))
            n, d, c = n * g * b, d * a, a * c + g * n
            y = out
        if n <= d:  # the marginal rate here is at most 1: the profit falls from x on
            return (x, max(x * 1e-9, 1.0)) if x > 0 else None
        peak = (math.sqrt(n * d) - d) / c if c > 0 else math.inf
        if peak <= leave or x + leave >= cap:
            bend = 2 * c / math.sqrt(n * d) if c > 0 else 0.0
            width = math.sqrt(2 / bend) if bend > 0 else x * 1e-9
            return min(x + peak, float(cap)), max(min(width, (x + peak) / 4), 1.0)
        # into the next piece: a hair past the edge, as the float hops may fall short of it
        x = (x + leave) * (1 + _PAST_EDGE) + 1.0
    return None


_INV_PHI = 0.6180339887498949


def _golden(
    at: Callable[[int], list[int] | None],
    lo: int,
    hi: int,
    accepted_low: list[int | None],
    *,
    budget: int,
    rel: float = 1e-5,
) -> None:
    """Narrow ``[lo, hi]`` around the profit's peak (the real-valued profit is concave: each
    hop's marginal rate falls as its price moves); every point visited counts as a candidate.
    A refused point counts as the worst profit on the side it is refused from."""

    worst = -float("inf")

    def profit(x: int) -> float:
        amounts = at(x)
        return worst if amounts is None else float(amounts[-1] - x)

    def refused_large(x: int) -> bool:
        low = accepted_low[0]
        return low is not None and low < x

    a, b = lo, hi
    if b - a < 3:
        return
    m1, m2 = b - int((b - a) * _INV_PHI), a + int((b - a) * _INV_PHI)
    p1, p2 = profit(m1), profit(m2)
    spent = 2
    while b - a > max(3, int(a * rel)) and spent < budget and m1 < m2:
        if p1 == p2 == worst:  # both refused: move away from the side they are refused from
            if refused_large(m1):
                b = m1
            else:
                a = m2
            if b - a < 3:
                return
            m1, m2 = b - int((b - a) * _INV_PHI), a + int((b - a) * _INV_PHI)
            p1, p2 = profit(m1), profit(m2)
            spent += 2
        elif p1 < p2 or (p1 == worst and not refused_large(m1)):
            a, m1, p1 = m1, m2, p2  # the peak lies right of m1
            m2 = a + int((b - a) * _INV_PHI)
            p2 = profit(m2)
            spent += 1
        else:
            b, m2, p2 = m2, m1, p1  # the peak lies left of m2
            m1 = b - int((b - a) * _INV_PHI)
            p1 = profit(m1)
            spent += 1


def recheck_piecewise(
    *,
    block: int,
    legs: tuple[Leg, ...],
    quoters: Sequence[Callable[[int], int | None]],
    base_token: str,
    cap: int,
    gas_estimate: int,
    gas_cost: int,
    hint: int | None = None,
    max_evals: int = MAX_EVALS,
    relaxations: Sequence[Callable[[int, bool], Any]] | None = None,
    curves: Sequence[Callable[[int], Any]] | None = None,
) -> Candidate | None:
    """The exact candidate of one piecewise cycle, or None when its net profit after gas is not
    positive. ``curves``: the pools' constant-product pieces, for the closed-form seed."""
    relax = path_relaxation(relaxations) if relaxations is not None else None
    seed = closed_form_seed(curves, cap) if curves is not None else None
    opt = optimal_input_piecewise(
        path_quote(quoters),
        cap,
        floor=gas_cost,
        hint=hint,
        max_evals=max_evals if seed is None else min(max_evals, SEEDED_EVALS),
        relax=relax,
        seed=seed,
    )
    return candidate_of(
        opt,
        block=block,
        legs=legs,
        base_token=base_token,
        gas_estimate=gas_estimate,
        gas_cost=gas_cost,
    )
