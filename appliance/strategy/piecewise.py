"""Exact sizing on a piecewise path (any hop not constant-product, e.g. Uniswap V3).

A V3 hop's output is piecewise: one V2-like curve per tick range, the pieces joined where a swap
crosses an initialized tick (or a bitmap word edge, where the pool rounds too), so the closed
form of :mod:`.exact` does not apply. What every hop of every kind does have is **monotonicity**:
paying more in never gets less out (the pool moves its price further and pays the extra range).
So the path's exact integer output ``F`` is non-decreasing in the input ``x`` (on the inputs the
pools accept), and over any interval ``[u, v]`` of inputs::

    profit(x) = F(x) − x  <=  F(v) − u        for every integer x in [u, v]

That bound is the whole proof. The search is a best-first branch and bound over ``[1, cap]``:
keep intervals with their bound ``F(v) − u``; split the one with the highest bound at its middle
(one exact path evaluation, which may also improve the best profit); drop every interval whose
bound is no better than the best profit found (or the ``floor``, e.g. the gas cost). When no
interval is left the best input is **proven optimal** over every integer in ``[1, cap]``.
Inputs a pool refuses (nothing would come out, or a swap would leave the fetched tick window,
or liquidity runs out before the input is taken) are not tradeable; refusals are monotone too:
an interval below a refused-for-smallness input is dropped, one above an accepted input whose
end is refused is split until the accepted range is pinned.

The first evaluations go where the optimum is likely: ``hint`` (the screen's float estimate)
and a few points around it, then a golden-section search around the best of them down to a
relative width of 1e-5 (the real-valued profit is concave — each hop's marginal rate falls as its price
moves — so this lands next to the integer optimum up to the pools' rounding). So the best
profit is good early and most intervals are dropped at once. The walk has a budget (``max_evals``); past it the best found is returned with
``proven=False`` and its ``gap``: no input earns more than ``profit + gap`` (``-1``: unknown,
the accepted range was not pinned yet). Tests check proven
optimality against exhaustive brute force on small pools (hypothesis).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

from appliance.events import Candidate, Leg
from appliance.strategy.exact import Optimum

__all__ = ["MAX_EVALS", "optimal_input_piecewise", "path_quote", "recheck_piecewise"]

MAX_EVALS = 40

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


def optimal_input_piecewise(
    quote: PathQuote,
    cap: int,
    *,
    floor: int = 0,
    hint: int | None = None,
    max_evals: int = MAX_EVALS,
) -> Optimum | None:
    """The integer input in ``[1, cap]`` with the largest profit, or None if none exceeds
    ``floor`` (see the module doc for the method and its proof)."""
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

    # seeds: the hint and a fan around it; a golden-section search around the best of them
    centre = min(max(hint or 0, 1), cap) if hint else max(cap // 2, 1)
    for x in sorted({min(max(centre * k // 8, 1), cap) for k in (1, 4, 8, 16, 32)}):
        at(x)
    seed = best[0][1] if best[0] is not None else centre
    _golden(at, max(seed // 2, 1), min(seed * 2, cap), accepted_low, budget=max_evals - 12)

    at(cap)
    inf = float("inf")

    def level() -> int:
        return floor if best[0] is None else max(floor, best[0][0])

    def bound(u: int, v: int) -> float:
        """Upper bound of the profit over the inputs ``(u, v]`` (``v`` evaluated)."""
        fv = seen[v]
        if fv is not None:
            return fv[-1] - (u + 1)
        low = accepted_low[0]
        if low is None or v < low:
            return -inf  # refused for smallness (or nothing accepted): nothing at or below trades
        return inf  # above an accepted input: split until the accepted range is pinned

    heap: list[tuple[float, int, int]] = []

    def push(u: int, v: int) -> None:
        if v - u >= 2:  # (u, v] with one point is v itself: evaluated already
            b = bound(u, v)
            if b > level():
                heapq.heappush(heap, (-b, u, v))

    points = sorted(seen)
    for u, v in zip([0, *points], points, strict=False):
        push(u, v)
    while heap and len(seen) < max_evals:
        neg, u, v = heapq.heappop(heap)
        if -neg <= level():
            heap.clear()  # best first: every other interval is bounded no higher
            break
        m = (u + v) // 2
        at(m)
        push(u, m)
        push(m, v)
    bar = level()
    open_bounds = [-b for b, _, _ in heap if -b > bar]
    if best[0] is None or best[0][0] <= floor:
        return None
    profit, x, amounts = best[0]
    worst = max(open_bounds, default=profit)
    gap = 0 if worst <= profit else (-1 if worst == inf else int(worst) - profit)
    return Optimum(x, tuple(amounts), profit, not open_bounds, len(seen), gap)


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
) -> Candidate | None:
    """The exact candidate of one piecewise cycle, or None when its net profit after gas is not
    positive."""
    opt = optimal_input_piecewise(
        path_quote(quoters), cap, floor=gas_cost, hint=hint, max_evals=max_evals
    )
    if opt is None or opt.profit - gas_cost <= 0:
        return None
    return Candidate(
        block=block,
        legs=legs,
        base_token=base_token,
        amount_in=opt.amount_in,
        amount_out=opt.amounts[-1],
        gas_estimate=gas_estimate,
        gas_cost=gas_cost,
        amounts=opt.amounts,
    )
