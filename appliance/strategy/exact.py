"""Exact re-check: the pools' own integer arithmetic, the true integer optimum, gas, ranking.

The real-valued cycle ``f(x) = N·x / (D + C·x)`` (integers ``N, D, C`` folded exactly from the
reserves and fees) bounds the integer one from above: every pool rounds down, so
``out(x) <= floor(f(x))`` and the integer profit at ``x`` is at most
``ub(x) = floor(f(x)) − x``, a unimodal function peaking at ``floor(x*)``,
``x* = (sqrt(N·D) − D)/C`` (``math.isqrt``: exact).

The search is a branch and bound around that peak. It walks outwards from it, one step at a time
on both sides, and closes a side as soon as the bound there is no better than the best profit
found: everything further out is bounded lower still, so the result is *proven* optimal. It walks
in the coordinate with the coarsest steps: the amount ``t`` at the position of the cycle whose
unit is worth the most input (e.g. a 6-decimals token inside a WETH cycle), with ``x`` = the least
input that reaches ``t`` (``min_amount_in``, exact). Only the least such ``x`` can be optimal, so
no integer is skipped that could win. Two bounds close a side: ``ub(x)`` above, and the tighter
``P(t) = f_tail(t) − h(t)`` (real-valued rest of the path minus the real least input; concave in
``t``), which already accounts for the rounding before position ``t``.

The walk has a budget (``max_evals``, default 64); past it the best found so far is returned
with ``proven=False`` and its ``gap`` to the bound. When two positions are coarse, or the pools are
deep 18-decimals pools (the bound is flat over ~1e10 inputs), certifying the last wei would take
thousands of steps: measured on the bench market, the budget costs at most 4e-8 of the profit.
Tests check proven optimality against exhaustive brute force on small pools, and against a
ternary + local search on deep ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from appliance.events import Candidate, Leg
from appliance.market.errors import SwapError
from appliance.market.v2math import BPS, Hop, get_amount_in, get_amount_out

__all__ = [
    "Optimum",
    "OptimumMemo",
    "candidate_of",
    "fold_exact",
    "gas_in_base",
    "optimal_input",
    "profit_upper_bound",
    "recheck",
    "recheck_bound",
    "recheck_optimum",
]

MAX_EVALS = 64


@dataclass(frozen=True, slots=True)
class Optimum:
    amount_in: int
    amounts: tuple[int, ...]  # per-leg outputs; the last is what comes back
    profit: int  # amounts[-1] - amount_in
    proven: bool  # no integer input up to the cap does better
    evals: int  # path evaluations the search spent
    gap: int  # upper bound minus profit: no input earns more than profit + gap


def fold_exact(hops: Sequence[Hop]) -> tuple[int, int, int]:
    """``(N, D, C)`` with ``f(x) = N·x/(D + C·x)`` the real-valued output of the whole path."""
    n, d, c = 1, 1, 0
    for reserve_in, reserve_out, fee_bps in hops:
        g = BPS - fee_bps
        # hop: y -> g·b·y / (a·B + g·y); composed after (n, d, c)
        n, d, c = n * g * reserve_out, d * reserve_in * BPS, reserve_in * BPS * c + g * n
    return n, d, c


def _ub(n: int, d: int, c: int, x: int) -> int:
    return n * x // (d + c * x) - x


def profit_upper_bound(hops: Sequence[Hop], cap: int) -> int:
    """No integer input in ``[1, cap]`` earns more than this (may be negative)."""
    n, d, c = fold_exact(hops)
    x = _peak(n, d, c, cap)
    return _ub(n, d, c, x)


def _peak(n: int, d: int, c: int, cap: int) -> int:
    """``floor(x*)`` clipped to ``[1, cap]``: where ``ub`` is largest."""
    if n <= d or c == 0:
        return 1
    x = (math.isqrt(n * d) - d) // c
    return min(max(x, 1), cap)


def _forward(x: int, hops: Sequence[Hop]) -> list[int] | None:
    """Per-leg outputs for input ``x``; None when a pool would revert (a zero amount)."""
    out = []
    y = x
    try:
        for reserve_in, reserve_out, fee_bps in hops:
            y = get_amount_out(y, reserve_in, reserve_out, fee_bps)
            out.append(y)
    except SwapError:
        return None
    return out


def _coarsest_position(x: int, hops: Sequence[Hop]) -> int:
    """The position (0 = input) whose amount moves least per unit of input, around ``x``."""
    best_j, best_d, d, y = 0, 1.0, 1.0, float(x)
    for j, (a, b, fee) in enumerate(hops[:-1], start=1):
        g = (BPS - fee) / BPS
        den = a + g * y
        d *= g * a * b / (den * den)
        y = g * b * y / den
        if d < best_d:
            best_j, best_d = j, d
    return best_j


def optimal_input(
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

    p_peak = p_of(t_peak)
    upper = min(upper, _real_max_floor(p_of, _p_peak(nh, dh, ch, nt, dt, ct, t_peak, t_max), t_max))
    if upper <= floor:
        return None

    # The walk. Each visit is written out in one function (the bound ``ub(x)``, the least input
    # ``x(t)``, ``P(t)`` and the path, inlined: this is the hot loop of a search), doing exactly
    # the checks, in the order, of the plain walk kept in tests/unit/strategy.
    best: tuple[int, int, list[int]] | None = None  # (profit, x, amounts)
    evals = 0
    last = {1: p_peak, -1: p_peak}  # P of the last point visited on each side

    def visit(t: int, side: int) -> bool:
        """Evaluate position-amount ``t``; False when this side is closed (bound or domain)."""
        nonlocal best, evals
        if t < 1 or t > t_max:
            return False
        x = t  # the least input reaching t at position j (exact, see ``min_amount_in``)
        for a_b, _, g, b in head_consts:
            if x >= b:
                return False
            x = -(-x * a_b // (g * (b - x)))
        if x > cap or x < 1:
            return False
        bar = floor if best is None or best[0] < floor else best[0]
        if n * x // (d + c * x) - x <= bar:  # ub(x) is unimodal in x, and x(t) is monotone in t
            return False
        pa, pb = dt + ct * t, nh - ch * t
        p = (nt * t * pb - dh * t * pa, pa * pb)
        if side:
            q = last[side]
            if p[0] * q[1] <= q[0] * p[1] and p[0] // p[1] <= bar:
                return False  # past P's peak on this side and no better than the best: closed
        last[side] = p
        evals += 1
        amounts = []
        y = x
        for a_b, g_b, g, _ in consts:
            y = y * g_b // (a_b + y * g)
            if y <= 0:
                return True
            amounts.append(y)
        if best is None or y - x > best[0]:
            best = (y - x, x, amounts)
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


def _p_peak(nh: int, dh: int, ch: int, nt: int, dt: int, ct: int, t: int, t_max: int) -> int:
    """Near the argmax of ``P(t) = nt·t/(dt + ct·t) − dh·t/(nh − ch·t)`` in ``[1, t_max]``.

    ``P' = 0`` where ``sqrt(nt·dt)·(nh − ch·t) = sqrt(dh·nh)·(dt + ct·t)``: closed form, with
    integer square roots (off by a few units at most; :func:`_real_max_floor` climbs the rest
    exactly). Falls back to ``t`` when the form is degenerate."""
    s_tail, s_head = math.isqrt(nt * dt), math.isqrt(dh * nh)
    den = s_tail * ch + s_head * ct
    if den <= 0:
        return t
    return min(max((s_tail * nh - s_head * dt) // den, 1), t_max)


def _real_max_floor(p_of, t: int, t_max: int) -> int:
    """``floor(max P)`` over integers in ``[1, t_max]``, climbing from ``t`` (P is concave)."""
    p = p_of(t)

    def greater(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return a[0] * b[1] > b[0] * a[1]

    for step in (1, -1):
        while 1 <= t + step <= t_max:
            q = p_of(t + step)
            if not greater(q, p):
                break
            t, p = t + step, q
    return p[0] // p[1]


def gas_in_base(
    gas_native: int,
    base_token: str,
    native_token: str,
    quotes: Sequence[tuple[int, int, int]],
) -> int | None:
    """What ``gas_native`` wei of the native coin cost in ``base_token`` wei.

    The native coin's wrapped token is 1:1. Otherwise the cheapest exact ``getAmountIn`` over the
    direct pools ``quotes`` = ``[(reserve_base, reserve_native, fee_bps), ...]`` (buying the gas
    back through the pool: never cheaper than spot). None when it cannot be priced.
    """
    if base_token == native_token or gas_native <= 0:
        return max(gas_native, 0)
    best: int | None = None
    for reserve_base, reserve_native, fee_bps in quotes:
        try:
            cost = get_amount_in(gas_native, reserve_base, reserve_native, fee_bps)
        except SwapError:
            continue
        if best is None or cost < best:
            best = cost
    return best


class OptimumMemo:
    """The last optimum of each cycle, reused while its pools' reserves and its cap are the same.

    The optimum (:func:`optimal_input` with no floor) depends on nothing else: not on the gas
    price, which :func:`recheck` subtracts afterwards. So a cycle whose pools did not change in a
    block costs a tuple comparison instead of a search, and the result is the very same integers
    (the live detector and the backtest re-check the same top cycles block after block). One
    entry per cycle key; :meth:`clear` when the cycle set is rebuilt.

    It keeps each cycle's last :func:`recheck_bound` the same way (:meth:`bound`): a cycle the
    ranking never needed searched is asked for its bound again at every block.
    """

    __slots__ = ("_bounds", "_last", "hits", "misses")

    def __init__(self) -> None:
        self._last: dict[object, tuple[tuple[Hop, ...], int, int, int, Optimum | None]] = {}
        self._bounds: dict[object, tuple[tuple[Hop, ...], int, int | None]] = {}
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        self._last.clear()
        self._bounds.clear()

    def bound(self, key: object, hops: tuple[Hop, ...], cap: int) -> int | None:
        """:func:`recheck_bound` of ``hops`` and ``cap``, kept per ``key`` while they are the same."""
        last = self._bounds.get(key)
        if last is not None and last[0] == hops and last[1] == cap:
            return last[2]
        bound = recheck_bound(hops, cap)
        self._bounds[key] = (hops, cap, bound)
        return bound

    def known(
        self, key: object, hops: tuple[Hop, ...], cap: int, max_evals: int, tolerance: int
    ) -> tuple[Optimum | None] | None:
        """``(optimum,)`` when ``key``'s last search had these very inputs, else None."""
        last = self._last.get(key)
        if (
            last is not None
            and last[0] == hops
            and last[1] == cap
            and last[2] == max_evals
            and last[3] == tolerance
        ):  # (field by field: no slice built for a changed cycle, asked at every block)
            self.hits += 1
            return (last[4],)
        return None

    def optimum(
        self,
        key: object,
        hops: Sequence[Hop],
        cap: int,
        *,
        max_evals: int = MAX_EVALS,
        tolerance: int = 0,
    ) -> Optimum | None:
        hops = tuple(hops)
        known = self.known(key, hops, cap, max_evals, tolerance)
        if known is not None:
            return known[0]
        self.misses += 1
        opt = optimal_input(hops, cap, max_evals=max_evals, tolerance=tolerance)
        self._last[key] = (hops, cap, max_evals, tolerance, opt)
        return opt


def recheck(
    *,
    block: int,
    legs: tuple[Leg, ...],
    hops: Sequence[Hop],
    base_token: str,
    cap: int,
    gas_estimate: int,
    gas_cost: int,
    max_evals: int = MAX_EVALS,
    tolerance: int = 0,
    memo: OptimumMemo | None = None,
    key: object = None,
) -> Candidate | None:
    """The exact candidate of one cycle, or None when its net profit after gas is not positive.

    The input is the cycle's own integer optimum (the gas cost does not move it: it is the same
    for every input), then the gas is subtracted. ``memo``/``key`` reuse the optimum of an
    unchanged cycle (same integers; see :class:`OptimumMemo`).
    """
    opt = recheck_optimum(tuple(hops), cap, gas_cost, max_evals=max_evals, tolerance=tolerance,
                          memo=memo, key=key)  # fmt: skip
    return candidate_of(
        opt,
        block=block,
        legs=legs,
        base_token=base_token,
        gas_estimate=gas_estimate,
        gas_cost=gas_cost,
    )


def recheck_optimum(
    hops: tuple[Hop, ...],
    cap: int,
    gas_cost: int,
    *,
    max_evals: int = MAX_EVALS,
    tolerance: int = 0,
    memo: OptimumMemo | None = None,
    key: object = None,
) -> Optimum | None:
    """The optimum :func:`recheck` sizes its candidate from (None when no input can pay
    ``gas_cost``; an optimum that does not pay it is returned: :func:`candidate_of` drops it)."""
    known = memo.known(key, hops, cap, max_evals, tolerance) if memo is not None else None
    if known is not None:
        return known[0]  # (the bound below is implied: no optimum beats it)
    bound = recheck_bound(hops, cap)
    if bound is None or bound <= gas_cost:
        return None  # no input can pay the gas: no search
    if memo is None:
        return optimal_input(hops, cap, max_evals=max_evals, tolerance=tolerance)
    return memo.optimum(key, hops, cap, max_evals=max_evals, tolerance=tolerance)


def recheck_bound(hops: tuple[Hop, ...], cap: int) -> int | None:
    """What no input of the cycle earns more than (:func:`profit_upper_bound`), or None when
    nothing can be traded (no cap, an empty pool): :func:`recheck_optimum`'s test before a
    search."""
    if cap < 1 or not hops or any(a <= 0 or b <= 0 for a, b, _ in hops):
        return None
    return profit_upper_bound(hops, cap)


def candidate_of(
    opt: Optimum | None,
    *,
    block: int,
    legs: tuple[Leg, ...],
    base_token: str,
    gas_estimate: int,
    gas_cost: int,
) -> Candidate | None:
    """The candidate of a cycle's optimum, or None when its net profit after gas is not
    positive (shared by every pool kind's sizing)."""
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
