"""Piecewise exact sizing (V3 hops): proven optimal against brute force, and the detector's
V2<->V3 candidates.

The proof in :mod:`appliance.strategy.piecewise` rests on one premise: every hop's exact
output is non-decreasing in its input. That premise is tested on its own (V3 pools crossing
many ticks), then the search is compared with exhaustive brute force over every integer input
of small cycles mixing V3 and V2 hops: whenever it says ``proven`` its profit is the true
maximum, and with an ample budget it always proves.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.config import (
    AppConfig,
    ChainConfig,
    DexConfig,
    ExecutionConfig,
    RiskConfig,
    StrategyConfig,
    TokensConfig,
)
from appliance.events import PoolStatesUpdated, ReservesUpdated
from appliance.market import MarketState
from appliance.market.kinds import pool_kind
from appliance.market.kinds.uniswap_v3 import bounded_swap, curve_at
from appliance.market.v2math import get_amount_out
from appliance.market.v3math import get_sqrt_ratio_at_tick, swap
from appliance.market.v3state import SWAP_TOPIC, V3PoolWindow
from appliance.strategy import Detector
from appliance.strategy.piecewise import (
    closed_form_seed,
    optimal_input_piecewise,
    path_quote,
    path_relaxation,
)
from tests.unit.market.kinds_helpers import TOKEN_A, snapshot, two_pool_market

GWEI = 10**9
E18 = 10**18
V2 = "0x" + "2" * 40
V3 = "0x" + "3" * 40


def _window(spacing: int, tick: int, positions, fee: int) -> V3PoolWindow:
    snap = snapshot(spacing, get_sqrt_ratio_at_tick(tick) + 1, positions)
    return V3PoolWindow(
        fee=fee, tick_spacing=spacing, sqrt_price_x96=snap.sqrt_price_x96, tick=snap.tick,
        liquidity=snap.liquidity, words=snap.words, ticks=snap.ticks,
    )  # fmt: skip


def _v3_quoter(window: V3PoolWindow, zero_for_one: bool):
    def quote(x: int) -> int | None:
        if x <= 0:
            return None
        try:
            paid, out, _ = window.exact_input(zero_for_one, x)
        except Exception:  # a revert or beyond the window: refused
            return None
        return out if paid == x and out > 0 else None

    return quote


def _v2_quoter(r_in: int, r_out: int, fee: int):
    def quote(x: int) -> int | None:
        out = get_amount_out(x, r_in, r_out, fee) if x > 0 else 0
        return out or None

    return quote


def _v3_relaxation(window: V3PoolWindow, zero_for_one: bool):
    return lambda y, trader: bounded_swap(window, zero_for_one, y, trader)


def _v3_curve(window: V3PoolWindow, zero_for_one: bool):
    return lambda y: None if window.needs_refetch else curve_at(window, zero_for_one, y)


def _v2_market(r_in: int, r_out: int, fee: int) -> MarketState:
    market = MarketState()
    pools = two_pool_market(V3, V2)
    v2 = dataclasses.replace(pools.pools[0], fee_bps=fee)
    market.set_pools(dataclasses.replace(pools, pools=(v2, pools.pools[1])))
    market.apply(ReservesUpdated(1, "0x01", {V2: (r_in, r_out)}))
    return market


def _v2_relaxation(r_in: int, r_out: int, fee: int):
    market = _v2_market(r_in, r_out, fee)
    return pool_kind("uniswap_v2").relaxation(market, market.pool_ids[V2], True)


def _v2_curve(r_in: int, r_out: int, fee: int):
    market = _v2_market(r_in, r_out, fee)
    return pool_kind("uniswap_v2").curve(market, market.pool_ids[V2], True)


@st.composite
def small_v3(draw, *, tick: int = 0):
    spacing = draw(st.sampled_from([1, 10, 60]))
    fee = draw(st.sampled_from([100, 500, 3000, 10000]))
    positions = []
    for _ in range(draw(st.integers(1, 5))):
        lower = draw(st.integers(-30, 29)) * spacing
        width = draw(st.integers(1, 20)) * spacing
        positions.append((lower, lower + width, draw(st.integers(10**3, 10**6))))
    return _window(spacing, tick + draw(st.integers(-spacing, spacing)), positions, fee)


@settings(max_examples=150, deadline=None)
@given(window=small_v3(), zero_for_one=st.booleans(), start=st.integers(1, 5000))
def test_v3_output_never_falls_as_the_input_grows(window, zero_for_one, start) -> None:
    quote = _v3_quoter(window, zero_for_one)
    last = 0
    for x in range(start, start + 300):
        out = quote(x)
        if out is None:
            continue  # refusals are monotone too: checked below
        assert out >= last
        last = out
    accepted = [x for x in range(1, 400) if quote(x) is not None]
    if accepted:  # a refused input above an accepted one refuses everything above it
        refused_above = [x for x in range(accepted[0], 400) if quote(x) is None]
        if refused_above:
            assert all(quote(x) is None for x in range(refused_above[0], 400))


@settings(max_examples=150, deadline=None)
@given(window=small_v3(), zero_for_one=st.booleans(), amount=st.integers(1, 10**7))
def test_the_real_curve_bounds_the_pool_and_is_concave(window, zero_for_one, amount) -> None:
    """The relaxation's premises: the exact output never exceeds the trader-rounded real one,
    the pool-rounded one never exceeds it either, and tangents lie above the curve."""
    quote = _v3_quoter(window, zero_for_one)
    up = bounded_swap(window, zero_for_one, amount, True)
    down = bounded_swap(window, zero_for_one, amount, False)
    if up is None:
        return
    assert down is not None and down[0] <= up[0] and down[1] >= up[1]
    out = quote(amount)
    if out is not None:
        assert out <= up[0]
    for other in (amount // 3, amount * 2, amount + 1):
        at = bounded_swap(window, zero_for_one, other, False) if other > 0 else None
        if at is not None:  # R(other) <= R(amount) + R'(amount)·(other − amount)
            slope = down[1] if other > amount else up[1]  # from above right, from below left
            assert at[0] <= up[0] + -(-slope * (other - amount) >> 64)


def test_the_pool_rounded_curve_stops_at_a_tick_its_rounded_need_admits() -> None:
    """Found by hypothesis: 48 in (47 after the fee, rounded down) against a rounded-up need of
    47 to the next initialized tick, which really takes 46.x: the pool-rounded curve ran on
    past the tick with the range's thin liquidity, so its rate after fell below the real one
    (and below the trader-rounded one), breaking the tangent bounds' premise."""
    window = _window(60, 0, [(0, 960, 1000), (900, 960, 1053)], 100)
    up = bounded_swap(window, False, 48, True)
    down = bounded_swap(window, False, 48, False)
    assert up is not None and down is not None
    assert down[0] <= up[0] and down[1] >= up[1]


@st.composite
def small_cycle(draw):
    """A V3 hop then a V2 hop back (either direction), or V3 -> V3 -> V2 through three pools,
    priced so that a small dislocation may or may not pay."""
    window = draw(small_v3())
    zfo = draw(st.booleans())
    quoters, relaxations = [_v3_quoter(window, zfo)], [_v3_relaxation(window, zfo)]
    curves = [_v3_curve(window, zfo)]
    if draw(st.booleans()):
        second, zfo2 = draw(small_v3()), draw(st.booleans())
        quoters.append(_v3_quoter(second, zfo2))
        relaxations.append(_v3_relaxation(second, zfo2))
        curves.append(_v3_curve(second, zfo2))
    r_in = draw(st.integers(10**3, 10**6))
    r_out = max(int(r_in * draw(st.floats(0.9, 1.2))), 1)
    fee = draw(st.sampled_from([0, 25, 30]))
    quoters.append(_v2_quoter(r_in, r_out, fee))
    relaxations.append(_v2_relaxation(r_in, r_out, fee))
    curves.append(_v2_curve(r_in, r_out, fee))
    return quoters, relaxations, curves


def _brute(quote, cap: int) -> int | None:
    best = None
    for x in range(1, cap + 1):
        amounts = quote(x)
        if amounts is not None and (best is None or amounts[-1] - x > best):
            best = amounts[-1] - x
    return best if best is not None and best > 0 else None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cycle=small_cycle(),
    cap=st.integers(1, 1500),
    hint=st.none() | st.integers(1, 3000),
    tangents=st.booleans(),
    seeded=st.booleans(),
)
def test_search_proves_the_brute_force_optimum(cycle, cap, hint, tangents, seeded) -> None:
    """With or without the closed-form seed (which replaces the golden-section search)."""
    quoters, relaxations, curves = cycle
    quote = path_quote(quoters)
    truth = _brute(quote, cap)
    relax = path_relaxation(relaxations) if tangents else None
    seed = closed_form_seed(curves, cap) if seeded else None
    opt = optimal_input_piecewise(
        quote, cap, hint=hint, max_evals=10 * cap + 100, relax=relax, seed=seed
    )
    if truth is None:
        assert opt is None
        return
    assert opt is not None and opt.proven and opt.gap == 0
    assert opt.profit == truth
    assert 1 <= opt.amount_in <= cap and list(opt.amounts) == quote(opt.amount_in)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cycle=small_cycle(),
    cap=st.integers(1, 1500),
    budget=st.integers(3, 40),
    tangents=st.booleans(),
    seeded=st.booleans(),
)
def test_a_small_budget_never_claims_too_much(cycle, cap, budget, tangents, seeded) -> None:
    quoters, relaxations, curves = cycle
    quote = path_quote(quoters)
    truth = _brute(quote, cap)
    relax = path_relaxation(relaxations) if tangents else None
    seed = closed_form_seed(curves, cap) if seeded else None
    opt = optimal_input_piecewise(quote, cap, max_evals=budget, relax=relax, seed=seed)
    if opt is None:
        return  # nothing found within the budget is never a wrong claim
    assert truth is not None and opt.profit <= truth
    if opt.proven:
        assert opt.profit == truth
    elif opt.gap >= 0:
        assert opt.profit + opt.gap >= truth


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cycle=small_cycle(), cap=st.integers(50, 3000))
def test_the_closed_form_seed_is_the_real_optimum(cycle, cap) -> None:
    """Piece by piece, the seed lands on the peak of the real-valued profit: no integer input
    earns more on the real curve (up to the curves' integer rounding, a few units per hop)."""
    _, relaxations, curves = cycle
    seed = closed_form_seed(curves, cap)
    relax = path_relaxation(relaxations)
    real = {}
    for x in range(1, cap + 1):
        got = relax.value_and_low_slope(x)
        if got is None:
            break  # beyond the window: refused from here on
        real[x] = got[0] - x
    if seed is None:
        return  # the walk could not reach the peak: the search falls back to golden section
    x0 = min(max(round(seed[0]), 1), cap)
    assert x0 in real and seed[1] >= 1
    assert real[x0] >= max(real.values()) - 2 * len(curves) - 1


def _deep_cycle(rng_seed: int):
    """V3 (deep, many ranges) -> V2 back, priced 0.7-4 % apart: an 18-decimals market."""
    import random

    rng = random.Random(rng_seed)
    spacing, tick = 60, rng.randint(-600, 600)
    positions = [(-887220, 887220, 10**21)]
    for _ in range(8):
        lower = (tick // spacing + rng.randint(-40, 30)) * spacing
        positions.append((lower, lower + rng.randint(1, 30) * spacing, 10**21))
    window = _window(spacing, tick, positions, 3000)
    zfo = rng.random() < 0.5
    _, a, b, _, _ = curve_at(window, zfo, 0)  # the V3 pool's price now, in the swap's direction
    r_in = 10**21 * rng.randint(1, 50)
    r_out = int(r_in * a / b * (1 + rng.uniform(0.007, 0.04)))  # back on V2, 0.1-3.4 % net
    return (
        [_v3_quoter(window, zfo), _v2_quoter(r_in, r_out, 30)],
        [_v3_relaxation(window, zfo), _v2_relaxation(r_in, r_out, 30)],
        [_v3_curve(window, zfo), _v2_curve(r_in, r_out, 30)],
    )


@pytest.mark.parametrize("rng_seed", range(12))
def test_the_seeded_search_beats_the_golden_one_on_deep_pools(rng_seed: int) -> None:
    """Deep pools (the bound is flat over ~1e10 inputs: no search proves the last wei): with a
    quarter of the budget the seeded search earns at least what the golden-section one earns
    (within one wei), and its certified gap stays honest (profit + gap covers the other's)."""
    quoters, relaxations, curves = _deep_cycle(rng_seed)
    quote, cap = path_quote(quoters), 10**22
    # the golden search starts from the screen's estimate: the peak on the pools' reserves as
    # they are at the price now (the first piece), as the detector's hint is
    (_, a1, b1, g1, _), (_, a2, b2, g2, _) = curves[0](0), curves[1](0)
    n, d, c = g1 * b1 * g2 * b2, a1 * a2, a2 * g1 + g2 * g1 * b1
    hint = int((math.sqrt(n * d) - d) / c) if n > d else None
    golden = optimal_input_piecewise(quote, cap, hint=hint, relax=path_relaxation(relaxations))
    seed = closed_form_seed(curves, cap)
    seeded = optimal_input_piecewise(
        quote, cap, relax=path_relaxation(relaxations), seed=seed, max_evals=10
    )
    assert golden is not None and seed is not None and seeded is not None
    assert seeded.evals <= 10 < golden.evals
    assert seeded.profit >= golden.profit - 1
    assert seeded.gap >= 0 and seeded.profit + seeded.gap >= golden.profit
    assert golden.profit + golden.gap >= seeded.profit


def test_floor_prunes_what_cannot_pay_for_gas() -> None:
    quote = path_quote([_v2_quoter(10**6, 11 * 10**5, 30), _v2_quoter(10**6, 10**6, 30)])
    best = optimal_input_piecewise(quote, 10**5, max_evals=10**6)
    assert best is not None and best.proven
    assert optimal_input_piecewise(quote, 10**5, floor=best.profit, max_evals=10**6) is None


# ---------------------------------------------------------------------------- the detector
def _cfg() -> AppConfig:
    return AppConfig(
        chain=ChainConfig(chain_id=31337, rpc=("http://127.0.0.1:8545",)),
        dex=(
            DexConfig(name="v2", factory="0x" + "1" * 40, fee_bps=30),
            DexConfig(name="v3", factory="0x" + "4" * 40, kind="uniswap_v3", fee_tiers=(3000,)),
        ),
        tokens=TokensConfig(base=(TOKEN_A,)),
        strategy=StrategyConfig(top_n=5, probe_tokens=False),
        execution=ExecutionConfig(tip_gwei=1.0),
        risk=RiskConfig(max_trade_wei=10**24),
    )


@pytest.mark.parametrize("v3_cheap", [True, False])
def test_detector_finds_a_v2_v3_dislocation_with_exact_v3_amounts(v3_cheap: bool) -> None:
    det = Detector(_cfg())
    det.on_pools(two_pool_market(V3, V2))
    tick = -420 if v3_cheap else 420  # B per A on V3 is e^(tick/1e4): below or above the V2 pair
    positions = [(-887220, 887220, 2000 * E18), (tick - 1200, tick + 1200, 4000 * E18)]
    snap = snapshot(60, get_sqrt_ratio_at_tick(tick) + 12345, positions)
    det.on_pool_states(PoolStatesUpdated(1, "0x01", {V3: snap}, full=True))
    found = det.on_reserves(ReservesUpdated(1, "0x01", {V2: (1000 * E18, 1000 * E18)}, True), GWEI)
    assert found is not None
    (cand,) = found.candidates
    kinds = [(leg.pool, leg.kind, leg.fee_bps) for leg in cand.legs]
    v3_leg = (V3, "uniswap_v3", 30)
    v2_leg = (V2, "uniswap_v2", 30)
    # sell A (the base) where it fetches more B, buy it back where B buys more A
    assert kinds == ([v3_leg, v2_leg] if not v3_cheap else [v2_leg, v3_leg])
    # the amounts are the pools' own: the V3 leg through the whole pool's swap
    state = det.state.held[det.state.pool_ids[V3]].state
    first, second = cand.amounts
    if kinds[0] == v3_leg:
        r = swap(state, True, cand.amount_in)
        assert (r.amount0, -r.amount1) == (cand.amount_in, first)
        assert second == get_amount_out(first, 1000 * E18, 1000 * E18, 30)
    else:
        assert first == get_amount_out(cand.amount_in, 1000 * E18, 1000 * E18, 30)
        r = swap(state, False, first)
        assert (r.amount1, -r.amount0) == (first, second)
    assert cand.amount_out == second and cand.net_profit > 0


def _paper_market(positions):
    det = Detector(_cfg())
    det.on_pools(two_pool_market(V3, V2))

    def v3_at(block: int, tick: int) -> None:
        snap = snapshot(60, get_sqrt_ratio_at_tick(tick) + 12345, positions)
        det.on_pool_states(PoolStatesUpdated(block, f"0x{block:02x}", {V3: snap}, full=True))

    def block(n: int, reserves=None):
        return det.on_reserves(ReservesUpdated(n, f"0x{n:02x}", reserves or {}, False), GWEI)

    return det, v3_at, block


_POSITIONS = [(-887220, 887220, 2000 * E18), (-1620, 780, 4000 * E18)]


def test_a_paper_fill_through_a_v3_pool_is_laid_over_its_exact_state() -> None:
    """The overlay is the pool's own swap applied to the chain's V3 state: price, tick and
    in-range liquidity after the crossings, the V2 leg's reserves shifted as before; the chain's
    state stays underneath. Before: the fill could not be laid, its pools were held instead."""
    det, v3_at, _block = _paper_market(_POSITIONS)
    v3_at(1, -420)
    found = det.on_reserves(ReservesUpdated(1, "0x01", {V2: (1000 * E18, 1000 * E18)}, True), GWEI)
    assert found is not None
    (cand,) = found.candidates
    pid = det.state.pool_ids[V3]
    chain = det.state.held[pid]
    v3_leg = next(k for k, leg in enumerate(cand.legs) if leg.pool == V3)
    zero_in = cand.legs[v3_leg].token_in == det.state.pools[pid].token0
    amount_in = (cand.amount_in, *cand.amounts)[v3_leg]
    expected = swap(chain.state, zero_in, amount_in)
    assert det.mark_filled(cand)
    shown = det.state.held[pid]
    assert shown is not chain
    assert (shown.sqrt_price_x96, shown.tick, shown.liquidity) == (
        expected.sqrt_price_x96,
        expected.tick,
        expected.liquidity,
    )
    assert (chain.sqrt_price_x96, chain.tick) == (chain.state.sqrt_price_x96, -420)  # untouched
    assert det.filled == {V2, V3}
    # the screen sees the overlaid state; the V2 leg is overlaid as ever
    assert (det.state.reserve0[pid], det.state.reserve1[pid]) == pool_kind("uniswap_v3").reserves(
        shown
    )
    v2 = det.state.pool_ids[V2]
    assert (det.state.reserve0[v2], det.state.reserve1[v2]) != (1000 * E18, 1000 * E18)


def test_the_same_v3_dislocation_is_not_paper_filled_again_and_the_overlay_lifts() -> None:
    """The demo's bug stays fixed: after the fill, a quiet chain (or a noise trade that leaves
    the cycle open) offers nothing more; once someone else closes the cycle on the chain the
    fill is lifted (V2's rule) and a new dislocation is offered again."""
    det, v3_at, block = _paper_market(_POSITIONS)
    v3_at(1, -420)
    found = det.on_reserves(ReservesUpdated(1, "0x01", {V2: (1000 * E18, 1000 * E18)}, True), GWEI)
    assert found is not None
    assert det.mark_filled(found.candidates[0])
    assert block(2) is None
    v3_at(3, -415)
    assert block(3) is None
    assert det.filled == {V2, V3}
    v3_at(4, 0)  # someone else closes the dislocation on the chain: the fill is lifted
    assert block(4) is None
    assert not det.fills and not det.filled
    pid = det.state.pool_ids[V3]
    assert det.state.held[pid].tick == 0
    v3_at(5, -420)
    again = block(5)
    assert again is not None and V3 in again.candidates[0].pools


def test_a_dislocation_that_widens_on_a_paper_filled_v3_pool_is_offered_again() -> None:
    """The fill took the dislocation at tick -420 (size capped); the chain then moves the V3
    pool further (tick -520): the chain's move, under our swap, opens a new dislocation, and it
    is offered at once with the pool's exact amounts on the overlaid state. The hold this
    replaces offered nothing while the chain still offered the filled cycle."""
    det, v3_at, block = _paper_market(_POSITIONS)
    v3_at(1, -420)
    found = det.on_reserves(ReservesUpdated(1, "0x01", {V2: (1000 * E18, 1000 * E18)}, True), GWEI)
    assert found is not None
    first = found.candidates[0]
    assert det.mark_filled(first)
    assert block(2) is None
    v3_at(3, -520)
    widened = block(3)
    assert widened is not None
    (cand,) = widened.candidates
    assert V3 in cand.pools and cand.net_profit > 0
    assert det.fills  # the first fill is still laid: the chain did not close its cycle
    # its amounts are the overlaid V3 state's own swap (the chain's state plus our fill)
    pid = det.state.pool_ids[V3]
    shown = det.state.held[pid]
    k = next(k for k, leg in enumerate(cand.legs) if leg.pool == V3)
    zero_in = cand.legs[k].token_in == det.state.pools[pid].token0
    r = swap(shown.state, zero_in, (cand.amount_in, *cand.amounts)[k])
    assert -(r.amount1 if zero_in else r.amount0) == cand.amounts[k]
    # and it pays on the chain's own state too (where the paper fill is simulated)
    chain = det._chain_held[pid][0]
    assert chain.tick == -520 and shown.tick != chain.tick


def test_a_v3_paper_fill_follows_the_chain_logs_underneath() -> None:
    """A Swap log of someone else's small trade goes to the chain's state, not the overlay;
    the overlay is our swap applied again over it."""
    det, v3_at, block = _paper_market(_POSITIONS)
    v3_at(1, -420)
    found = det.on_reserves(ReservesUpdated(1, "0x01", {V2: (1000 * E18, 1000 * E18)}, True), GWEI)
    assert found is not None
    cand = found.candidates[0]
    assert det.mark_filled(cand)
    pid = det.state.pool_ids[V3]
    chain = det._chain_held[pid][0]
    k = next(k for k, leg in enumerate(cand.legs) if leg.pool == V3)
    zero_in = cand.legs[k].token_in == det.state.pools[pid].token0
    amount = (cand.amount_in, *cand.amounts)[k]
    # a rival's swap on the chain: price a little further the same way (log data as the pool's)
    theirs = swap(chain.state, zero_in, 10**17)
    words = [0, 0, theirs.sqrt_price_x96, theirs.liquidity, theirs.tick % 2**256]
    data = "0x" + "".join(f"{w:064x}" for w in words)
    logs = ((V3, (SWAP_TOPIC, "0x" + "00" * 32, "0x" + "00" * 32), data),)
    det.on_pool_states(PoolStatesUpdated(2, "0x02", {}, logs))
    block(2)
    assert det._chain_held[pid][0] is chain and chain.sqrt_price_x96 == theirs.sqrt_price_x96
    expected = swap(chain.state, zero_in, amount)
    shown = det.state.held[pid]
    assert (shown.sqrt_price_x96, shown.tick, shown.liquidity) == (
        expected.sqrt_price_x96,
        expected.tick,
        expected.liquidity,
    )
