"""The pre-trade gate: every refusal reason, and (hypothesis) it never approves an order that
breaks a configured limit — checked against an independent exact-rational oracle."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.config import RiskConfig
from appliance.events import Candidate, Leg
from appliance.modes import Mode
from appliance.risk import REASONS, GateContext, Limits, gate

BASE = "0x" + "11" * 20
MID = "0x" + "22" * 20
OTHER = "0x" + "33" * 20
POOL_A = "0x" + "aa" * 20
POOL_B = "0x" + "bb" * 20
ETH = 10**18
GWEI = 10**9


def candidate(
    amount_in=ETH // 10,
    profit=ETH // 100,
    gas_cost=ETH // 1000,
    block=100,
    pools=(POOL_A, POOL_B),
    token=MID,
):
    legs = (Leg(pools[0], BASE, token, 30), Leg(pools[1], token, BASE, 30))
    return Candidate(
        block=block,
        legs=legs,
        base_token=BASE,
        amount_in=amount_in,
        amount_out=amount_in + profit,
        gas_estimate=150_000,
        gas_cost=gas_cost,
    )


def context(**kw) -> GateContext:
    base = dict(
        mode=Mode.NORMAL,
        latch_tripped=False,
        head_block=100,
        head_age_s=1.0,
        reserves_block=100,
        rpc_healthy=True,
        base_fee=10 * GWEI,
        tip=1 * GWEI,
        inventory={BASE: 10 * ETH},
    )
    base.update(kw)
    return GateContext(**base)


LIMITS = Limits.from_config(RiskConfig())


def test_baseline_is_approved():
    decision = gate(candidate(), context(), LIMITS)
    assert decision.approved, decision


REFUSALS = {
    "kill_switch": (candidate(), context(latch_tripped=True)),
    "breaker_open": (candidate(), context(breakers={"trade": "open", "daily": "closed"})),
    "mode": (candidate(), context(mode=Mode.PAUSED)),
    "rpc_unhealthy": (candidate(), context(rpc_healthy=False)),
    "stale_head": (candidate(), context(head_age_s=31.0)),
    "stale_reserves": (candidate(block=99), context()),
    "denied_token": (candidate(), context(denied=frozenset({MID}))),
    "gas_price": (candidate(), context(base_fee=300 * GWEI)),
    "min_profit": (candidate(profit=1000, gas_cost=1000), context()),
    "min_profit_bps": (candidate(profit=4 * 10**13, gas_cost=0), context()),  # 4 bps < 5
    "max_trade_size": (
        candidate(amount_in=ETH + 1, profit=ETH // 10),
        context(inventory={BASE: 100 * ETH}),
    ),
    "max_trade_pct_inventory": (
        candidate(amount_in=ETH // 2, profit=ETH // 50),
        context(inventory={BASE: ETH}),
    ),
    "token_exposure": (candidate(), context(token_exposure={BASE: 5 * ETH})),
    "pool_exposure": (
        candidate(),
        context(pool_exposure={(POOL_B, BASE): 2_500_000_000_000_000_000}),
    ),
    "max_pending": (candidate(), context(pending=1)),
    "orders_per_block": (candidate(), context(orders_this_block=1)),
}


def test_every_reason_is_covered():
    assert set(REFUSALS) == set(REASONS)


@pytest.mark.parametrize("reason", REASONS)
def test_each_refusal_is_named(reason):
    cand, ctx = REFUSALS[reason]
    decision = gate(cand, ctx, LIMITS)
    assert not decision.approved
    assert decision.reason == reason, decision
    assert decision.detail


def test_emergency_mode_is_a_kill_switch_refusal():
    assert gate(candidate(), context(mode=Mode.EMERGENCY), LIMITS).reason == "kill_switch"


def test_reduced_mode_trades_with_scaled_caps():
    assert gate(candidate(), context(mode=Mode.REDUCED, size_multiplier=0.5), LIMITS).approved
    big = candidate(amount_in=ETH // 2 + 1, profit=ETH // 20)
    assert (
        gate(big, context(size_multiplier=0.5, inventory={BASE: 100 * ETH}), LIMITS).reason
        == "max_trade_size"
    )


def test_bad_numbers_shrink_caps_instead_of_raising():
    for bad in (float("nan"), float("inf"), -1.0):
        decision = gate(
            candidate(),
            context(size_multiplier=bad, head_age_s=bad if bad != -1.0 else 0.0),
            LIMITS,
        )
        assert not decision.approved


def test_unknown_inventory_refuses():
    assert gate(candidate(), context(inventory={}), LIMITS).reason == "max_trade_pct_inventory"


# --------------------------------------------------------------------------- the property
def oracle(cand: Candidate, ctx: GateContext, cfg: RiskConfig) -> str | None:
    """The first violated configured limit, computed independently with exact rationals."""
    if ctx.latch_tripped or ctx.mode is Mode.EMERGENCY:
        return "kill_switch"
    if any(v == "open" for v in ctx.breakers.values()):
        return "breaker_open"
    if ctx.mode not in (Mode.NORMAL, Mode.REDUCED):
        return "mode"
    if not ctx.rpc_healthy:
        return "rpc_unhealthy"
    if math.isnan(ctx.head_age_s) or ctx.head_age_s > cfg.max_head_age_s:
        return "stale_head"
    if min(cand.block, ctx.reserves_block) < ctx.head_block - cfg.max_reserves_lag_blocks:
        return "stale_reserves"
    tokens = {cand.base_token} | {t for leg in cand.legs for t in (leg.token_in, leg.token_out)}
    if tokens & ctx.denied:
        return "denied_token"
    if Fraction(ctx.base_fee + ctx.tip) > Fraction(cfg.max_gas_price_gwei) * GWEI:
        return "gas_price"
    net = cand.amount_out - cand.amount_in - cand.gas_cost
    if net <= 0 or net < cfg.min_profit_wei:
        return "min_profit"
    if (
        cand.amount_in <= 0
        or Fraction(net) < Fraction(cand.amount_in) * Fraction(cfg.min_profit_bps) / 10_000
    ):
        return "min_profit_bps"
    mult = (
        min(Fraction(1), Fraction(ctx.size_multiplier)) if ctx.size_multiplier > 0 else Fraction(0)
    )
    inventory = ctx.inventory.get(cand.base_token, 0)
    if cand.amount_in > cfg.max_trade_wei * mult:
        return "max_trade_size"
    if cand.amount_in > inventory * Fraction(cfg.max_trade_pct_inventory) / 100 * mult:
        return "max_trade_pct_inventory"
    scale = ctx.exposure_scale.get(cand.base_token, 1.0)
    scale = min(Fraction(1), Fraction(scale)) if scale > 0 else Fraction(0)
    if (
        ctx.token_exposure.get(cand.base_token, 0) + cand.amount_in
        > inventory * Fraction(cfg.max_token_exposure_pct) / 100 * scale
    ):
        return "token_exposure"
    for pool in cand.pools:
        if (
            ctx.pool_exposure.get((pool, cand.base_token), 0) + cand.amount_in
            > inventory * Fraction(cfg.max_pool_exposure_pct) / 100 * scale
        ):
            return "pool_exposure"
    if ctx.pending >= cfg.max_pending_trades:
        return "max_pending"
    if ctx.orders_this_block >= cfg.max_orders_per_block:
        return "orders_per_block"
    return None


pct = st.floats(0.01, 100, allow_nan=False, allow_infinity=False)
near = st.integers(-2, 2)


def rarely(strategy, usual):
    """``strategy`` one time in ten, else ``usual``: most scenarios reach the deep limits."""
    return st.integers(0, 99).flatmap(lambda i: strategy if i % 10 == 7 else st.just(usual))


@st.composite
def scenarios(draw):
    cfg = RiskConfig(
        min_profit_wei=draw(st.integers(0, 10**16)),
        min_profit_bps=draw(st.floats(0, 200, allow_nan=False)),
        max_trade_wei=draw(st.integers(1, 10**19)),
        max_trade_pct_inventory=draw(pct),
        max_gas_price_gwei=draw(rarely(st.floats(0, 500, allow_nan=False), 100.0)),
        max_head_age_s=draw(st.floats(0.1, 60, allow_nan=False)),
        max_pending_trades=draw(st.integers(1, 4)),
        max_orders_per_block=draw(st.integers(1, 4)),
        max_reserves_lag_blocks=draw(st.integers(0, 2)),
        max_token_exposure_pct=draw(pct),
        max_pool_exposure_pct=draw(pct),
    )
    inventory = draw(st.integers(0, 10**21))
    mult = draw(
        st.sampled_from([1.0, 0.5, 0.25, 0.125, 1 / 3]) | st.floats(-0.5, 1.5, allow_nan=False)
    )
    # aim amount_in at the binding size cap (± a few wei) so both outcomes are common
    mult_f = min(Fraction(1), Fraction(mult)) if mult > 0 else Fraction(0)
    cap = min(
        cfg.max_trade_wei * mult_f, inventory * Fraction(cfg.max_trade_pct_inventory) / 100 * mult_f
    )
    amount_in = draw(
        st.one_of(
            st.integers(0, 10**20),
            st.integers(0, max(0, math.floor(cap))),
            near.map(lambda d: max(0, math.floor(cap) + d)),
        )
    )
    # profit near the bps / absolute minimum
    need = max(
        Fraction(cfg.min_profit_wei),
        Fraction(amount_in) * Fraction(cfg.min_profit_bps) / 10_000,
        Fraction(1),
    )
    gas_cost = draw(st.integers(0, 10**15))
    net = draw(
        st.one_of(
            st.integers(-(10**15), 10**18),
            st.integers(math.ceil(need), max(math.ceil(need), 10**18)),
            near.map(lambda d: math.ceil(need) + d),
        )
    )
    head = draw(st.integers(10, 20))
    gas_cap = Fraction(cfg.max_gas_price_gwei) * GWEI
    base_fee = draw(
        rarely(
            st.one_of(
                st.integers(0, 600 * GWEI),
                near.map(lambda d: max(0, math.floor(gas_cap) - GWEI + d)),
            ),
            0,
        )
    )
    exposure = st.one_of(st.just(0), st.integers(0, 10**20), st.integers(0, inventory // 2))
    cand = candidate(
        amount_in=amount_in,
        profit=net + gas_cost,
        gas_cost=gas_cost,
        block=draw(rarely(st.integers(head - 3, head), head)),
        pools=draw(st.sampled_from([(POOL_A, POOL_B), (POOL_A, POOL_A)])),
        token=draw(st.sampled_from([MID, OTHER])),
    )
    ctx = context(
        mode=draw(rarely(st.sampled_from(list(Mode)), Mode.NORMAL)),
        latch_tripped=draw(rarely(st.booleans(), False)),
        head_block=head,
        head_age_s=draw(rarely(st.floats(0, 90, allow_nan=False), 0.05)),
        reserves_block=draw(rarely(st.integers(head - 3, head), head)),
        rpc_healthy=draw(rarely(st.booleans(), True)),
        base_fee=base_fee,
        tip=GWEI,
        inventory={BASE: inventory},
        token_exposure={BASE: draw(exposure)} if draw(st.booleans()) else {},
        pool_exposure={(POOL_B, BASE): draw(exposure)} if draw(st.booleans()) else {},
        pending=draw(rarely(st.integers(0, 4), 0)),
        orders_this_block=draw(rarely(st.integers(0, 4), 0)),
        denied=draw(rarely(st.just(frozenset({OTHER})), frozenset())),
        breakers={"trade": draw(rarely(st.sampled_from(["half-open", "open"]), "closed"))},
        size_multiplier=mult,
        exposure_scale={BASE: draw(st.sampled_from([1.0, 0.75, 0.5]))},
    )
    return cand, ctx, cfg


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_gate_agrees_with_the_limits_oracle(scenario):
    """Approved exactly when no configured limit is broken; otherwise the first broken one."""
    cand, ctx, cfg = scenario
    decision = gate(cand, ctx, Limits.from_config(cfg))
    expected = oracle(cand, ctx, cfg)
    if decision.approved:
        assert expected is None, f"approved an order breaking {expected}"
    else:
        assert decision.reason == expected, (decision, expected)


def test_limits_round_toward_safety():
    cfg = dataclasses.replace(RiskConfig(), max_gas_price_gwei=0.1 + 0.2)  # 0.30000000000000004
    limits = Limits.from_config(cfg)
    assert Fraction(limits.max_gas_price_wei) <= Fraction(cfg.max_gas_price_gwei) * GWEI


def test_flash_funding_needs_no_inventory_but_keeps_the_absolute_cap():
    flash = dataclasses.replace(LIMITS, inventory_limits=False)
    empty = context(inventory={BASE: 0})
    assert gate(candidate(), empty, LIMITS).reason == "max_trade_pct_inventory"
    assert gate(candidate(), empty, flash).approved
    too_big = candidate(amount_in=LIMITS.max_trade_wei + 1, profit=LIMITS.max_trade_wei // 10)
    assert gate(too_big, empty, flash).reason == "max_trade_size"
