"""The search's walk, written out in one function per visit, is the plain walk to the integer.

``_plain_optimal_input`` below is :func:`optimal_input` as it was before its visit was inlined
(closures for the least input, the bound, ``P`` and the path). Both are run on many cycles
(shallow and deep pools, two to four hops, tiny and huge caps, gas floors, tolerances, tight
budgets) and must return the very same :class:`Optimum` or None.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.market.v2math import BPS, Hop
from appliance.strategy.exact import (
    MAX_EVALS,
    Optimum,
    _coarsest_position,
    _forward,
    _p_peak,
    _peak,
    _real_max_floor,
    _ub,
    fold_exact,
    optimal_input,
)


def _plain_optimal_input(
    hops: Sequence[Hop],
    cap: int,
    *,
    floor: int = 0,
    max_evals: int = MAX_EVALS,
    tolerance: int = 0,
) -> Optimum | None:
    """The integer input in ``[1, cap]`` with the largest profit, or None if none exceeds ``floor``.

    ``floor`` (e.g. the gas cost) prunes: inputs that cannot earn more than it are not searched.
    ``tolerance`` stops the search once the best profit is within that many wei of the bound
    (0: search until proven or out of budget).
    """
    if cap < 1 or not hops:
        return None
    if any(a <= 0 or b <= 0 for a, b, _ in hops):
        return None
    n, d, c = fold_exact(hops)
    if n <= d:  # marginal rate at 0 is <= 1: f(x) <= x everywhere
        return None
    x_peak = _peak(n, d, c, cap)
    upper = _ub(n, d, c, x_peak)
    floor = max(floor, 0)
    if upper <= floor:
        return None
    j = _coarsest_position(x_peak, hops)
    head, tail = hops[:j], hops[j:]
    # per hop: (reserve_in·B, γ·reserve_out, γ, reserve_out) with γ = B − fee: the pair's formula
    # out = y·γ·R_out // (R_in·B + y·γ), inlined (this loop is the hot path of the re-check)
    consts = [(a * BPS, (BPS - fee) * b, BPS - fee, b) for a, b, fee in hops]
    head_consts = consts[:j][::-1]

    def forward(x: int) -> list[int] | None:
        out = []
        y = x
        for a_b, g_b, g, _ in consts:
            y = y * g_b // (a_b + y * g)
            if y <= 0:
                return None
            out.append(y)
        return out

    def x_of(t: int) -> int | None:
        """Least input reaching amount ``t`` at position ``j`` (exact, see ``min_amount_in``)."""
        for a_b, _, g, b in head_consts:
            if t >= b:
                return None
            t = -(-t * a_b // (g * (b - t)))
        return t

    if j == 0:
        t_peak, t_max = x_peak, cap
    else:
        at_peak, at_cap = _forward(x_peak, head), _forward(cap, head)
        if at_cap is None:
            return None
        t_max = at_cap[-1]
        t_peak = at_peak[-1] if at_peak is not None else 1
        t_peak = min(max(t_peak, 1), t_max)

    # P(t) = f_tail(t) - h(t): the real-valued profit at amount t of position j, with h the real
    # least input (no rounding). It bounds the integer profit at t (x(t) >= h(t), the pools round
    # down) and is concave in t, so once it falls on a side it keeps falling.
    nh, dh, ch = fold_exact(head)
    nt, dt, ct = fold_exact(tail)

    def p_of(t: int) -> tuple[int, int]:
        a, b = dt + ct * t, nh - ch * t
        return nt * t * b - dh * t * a, a * b

    def below(p: tuple[int, int], q: tuple[int, int]) -> bool:  # p <= q for positive denominators
        return p[0] * q[1] <= q[0] * p[1]

    p_peak = p_of(t_peak)
    upper = min(upper, _real_max_floor(p_of, _p_peak(nh, dh, ch, nt, dt, ct, t_peak, t_max), t_max))
    if upper <= floor:
        return None

    best: tuple[int, int, list[int]] | None = None  # (profit, x, amounts)
    evals = 0
    last = {1: p_peak, -1: p_peak}  # P of the last point visited on each side

    def visit(t: int, side: int) -> bool:
        """Evaluate position-amount ``t``; False when this side is closed (bound or domain)."""
        nonlocal best, evals
        if t < 1 or t > t_max:
            return False
        x = x_of(t)
        if x is None or x > cap or x < 1:
            return False
        bar = floor if best is None else max(best[0], floor)
        if _ub(n, d, c, x) <= bar:  # ub(x) is unimodal in x, and x(t) is monotone in t
            return False
        p = p_of(t)
        if side and below(p, last[side]) and p[0] // p[1] <= bar:
            return False  # past P's peak on this side and no better than the best: closed
        last[side] = p
        evals += 1
        amounts = forward(x)
        if amounts is not None:
            profit = amounts[-1] - x
            if best is None or profit > best[0]:
                best = (profit, x, amounts)
        return True

    visit(t_peak, 0)
    left, right = t_peak - 1, t_peak + 1
    left_open = right_open = True
    while left_open or right_open:
        if evals >= max_evals or (best is not None and best[0] >= upper - tolerance):
            break
        if right_open:
            right_open = visit(right, 1)
            right += 1
        if left_open:
            left_open = visit(left, -1)
            left -= 1
    if best is None or best[0] <= floor:
        return None
    profit, x, amounts = best
    proven = profit >= upper or not (left_open or right_open)
    return Optimum(x, tuple(amounts), profit, proven, evals, max(upper - profit, 0))


def _plant(rng: random.Random, n_hops: int, scale: float, edge: float) -> list[Hop]:
    hops = []
    for _ in range(n_hops):
        a = int(scale * rng.uniform(0.5, 5))
        hops.append([a, int(a * rng.uniform(0.001, 1000)), rng.choice((0, 5, 25, 30, 100))])
    rate = 1.0
    for a, b, fee in hops:
        rate *= b / a * (10_000 - fee) / 10_000
    hops[-1][1] = max(int(hops[-1][1] * edge / rate), 1)
    return [tuple(h) for h in hops]


def test_the_walk_is_the_plain_walk_on_planted_dislocations():
    rng = random.Random(18)
    found = proven = 0
    for i in range(1500):
        n_hops = rng.choice((2, 3, 3, 4))
        scale = 10 ** rng.choice((3, 5, 9, 12, 18, 21, 24))
        hops = _plant(rng, n_hops, scale, rng.choice((0.99, 1.0005, 1.003, 1.02, 1.2, 3.0)))
        cap = rng.choice((1, 1000, 10**15, 10**18, 10**30))
        kw = dict(
            floor=rng.choice((0, 0, 10, 10**9, 10**15)),
            max_evals=rng.choice((64, 64, 1, 5, 500)),
            tolerance=rng.choice((0, 0, 0, 1, 10**6)),
        )
        got, want = optimal_input(hops, cap, **kw), _plain_optimal_input(hops, cap, **kw)
        assert got == want, (i, hops, cap, kw)
        found += want is not None
        proven += want is not None and want.proven
    assert found > 300 and proven > 100  # the cases that walk far, and the ones that close


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 10**26), st.integers(1, 10**26), st.sampled_from([0, 25, 30, 100])
        ),
        min_size=2,
        max_size=4,
    ),
    st.integers(1, 10**27),
    st.integers(0, 10**12),
)
def test_the_walk_is_the_plain_walk_on_any_pools(hops, cap, floor):
    assert optimal_input(hops, cap, floor=floor) == _plain_optimal_input(hops, cap, floor=floor)
