"""The pre-trade gate: one pure function deciding whether a candidate may become an order.

Why pure: the gate is the last word before signing, so it must be trivially testable (hypothesis
drives it with arbitrary contexts) and cheap (p99 ≤ 100 µs on a Pi). Everything the decision
needs is in :class:`GateContext` (a snapshot the engine builds) and :class:`Limits` (derived once
from ``[risk]``). Nothing here reads a clock, a file or a channel.

All limit arithmetic is exact integer arithmetic: percentages, bps and multipliers given as floats
are turned into exact rationals (``float.as_integer_ratio``) once, so rounding can never let an
order through that breaks a configured limit by a single wei.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from appliance.events import Candidate
from appliance.modes import Mode

__all__ = ["APPROVED", "REASONS", "Decision", "GateContext", "Limits", "gate"]

# Every refusal reason, in the order the gate checks them (the first failing one is reported).
REASONS: tuple[str, ...] = (
    "kill_switch",
    "breaker_open",
    "mode",
    "rpc_unhealthy",
    "stale_head",
    "stale_reserves",
    "denied_token",
    "gas_price",
    "min_profit",
    "min_profit_bps",
    "max_trade_size",
    "max_trade_pct_inventory",
    "token_exposure",
    "pool_exposure",
    "max_pending",
    "orders_per_block",
)

_GWEI = 10**9


def _ratio(x: float) -> tuple[int, int]:
    """The exact rational value of a non-negative float as (numerator, denominator)."""
    if x < 0:
        raise ValueError(f"expected a non-negative number, not {x!r}")
    return float(x).as_integer_ratio()


@dataclass(frozen=True, slots=True)
class Limits:
    """The configured limits in the exact form the gate uses (build with :meth:`from_config`)."""

    min_profit_wei: int
    min_profit_bps: tuple[int, int]  # exact rational, bps
    max_trade_wei: int
    max_trade_pct: tuple[int, int]  # exact rational, % of inventory
    max_gas_price_wei: int
    max_head_age_s: float
    max_reserves_lag_blocks: int
    max_pending: int
    max_orders_per_block: int
    max_token_exposure_pct: tuple[int, int]
    max_pool_exposure_pct: tuple[int, int]
    # False with flash-swap funding: the input is borrowed and repaid in the same transaction, so
    # no inventory is at stake and the %-of-inventory and exposure limits do not apply (the
    # absolute max_trade_wei still does).
    inventory_limits: bool = True

    @classmethod
    def from_config(cls, cfg) -> Limits:  # cfg: appliance.config.RiskConfig
        num, den = _ratio(cfg.max_gas_price_gwei)
        return cls(
            min_profit_wei=int(cfg.min_profit_wei),
            min_profit_bps=_ratio(cfg.min_profit_bps),
            max_trade_wei=int(cfg.max_trade_wei),
            max_trade_pct=_ratio(cfg.max_trade_pct_inventory),
            max_gas_price_wei=num * _GWEI // den,  # floor: never above the configured cap
            max_head_age_s=float(cfg.max_head_age_s),
            max_reserves_lag_blocks=int(cfg.max_reserves_lag_blocks),
            max_pending=int(cfg.max_pending_trades),
            max_orders_per_block=int(cfg.max_orders_per_block),
            max_token_exposure_pct=_ratio(cfg.max_token_exposure_pct),
            max_pool_exposure_pct=_ratio(cfg.max_pool_exposure_pct),
        )


@dataclass(frozen=True, slots=True)
class GateContext:
    """Everything the gate looks at, as of the moment of the decision.

    Amounts are wei of the token they are keyed by. ``token_exposure[t]`` is the input of the
    unconfirmed trades funded in base token ``t``; ``pool_exposure[(pool, t)]`` the input of those
    routed through ``pool`` and funded in ``t``. ``size_multiplier`` (REDUCED mode × volatility
    regime) scales the size caps; ``exposure_scale[t]`` (≤ 1, from the correlation of held tokens)
    scales the exposure caps of ``t``.
    """

    mode: Mode
    latch_tripped: bool
    head_block: int
    head_age_s: float
    reserves_block: int
    rpc_healthy: bool
    base_fee: int
    tip: int
    inventory: Mapping[str, int]
    token_exposure: Mapping[str, int] = field(default_factory=dict)
    pool_exposure: Mapping[tuple[str, str], int] = field(default_factory=dict)
    pending: int = 0
    orders_this_block: int = 0
    denied: frozenset[str] = frozenset()
    breakers: Mapping[str, str] = field(default_factory=dict)  # name -> closed|open|half-open
    size_multiplier: float = 1.0
    exposure_scale: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """``approved`` or a named refusal (``reason`` is one of :data:`REASONS`)."""

    approved: bool
    reason: str = ""
    detail: str = ""


APPROVED = Decision(True)


def _refuse(reason: str, detail: str) -> Decision:
    return Decision(False, reason, detail)


def _unit_ratio(x: float) -> tuple[int, int]:
    """A multiplier clamped to [0, 1] (NaN -> 0) as an exact rational: caps only ever shrink."""
    if not x > 0:
        return 0, 1
    if x >= 1:
        return 1, 1
    return float(x).as_integer_ratio()


def _scaled_cap(amount: int, pct: tuple[int, int], scale: float) -> tuple[int, int]:
    """``amount × pct/100 × scale`` as an exact rational (num, den)."""
    snum, sden = _unit_ratio(scale)
    return amount * pct[0] * snum, 100 * pct[1] * sden


def gate(candidate: Candidate, ctx: GateContext, limits: Limits) -> Decision:
    """Decide on one candidate. Pure: same inputs, same decision; never raises on bad numbers."""
    if ctx.latch_tripped or ctx.mode is Mode.EMERGENCY:
        return _refuse("kill_switch", "kill switch latched")
    for name, state in ctx.breakers.items():
        if state == "open":
            return _refuse("breaker_open", f"breaker {name!r} is open")
    if not ctx.mode.trades:
        return _refuse("mode", f"mode is {ctx.mode.name}")
    if not ctx.rpc_healthy:
        return _refuse("rpc_unhealthy", "no healthy RPC endpoint")
    if not ctx.head_age_s <= limits.max_head_age_s:  # NaN-safe
        return _refuse(
            "stale_head", f"head is {ctx.head_age_s:.1f}s old (max {limits.max_head_age_s}s)"
        )
    oldest = min(candidate.block, ctx.reserves_block)
    if oldest + limits.max_reserves_lag_blocks < ctx.head_block:
        return _refuse("stale_reserves", f"reserves of block {oldest} behind head {ctx.head_block}")
    for leg in candidate.legs:
        for token in (leg.token_in, leg.token_out):
            if token in ctx.denied:
                return _refuse("denied_token", f"token {token} is deny-listed")
    if candidate.base_token in ctx.denied:
        return _refuse("denied_token", f"token {candidate.base_token} is deny-listed")
    gas_price = (ctx.base_fee or 0) + ctx.tip
    if gas_price > limits.max_gas_price_wei:
        return _refuse(
            "gas_price", f"gas price {gas_price} wei above cap {limits.max_gas_price_wei}"
        )

    amount_in = candidate.amount_in
    net = candidate.net_profit
    if net <= 0 or net < limits.min_profit_wei:
        return _refuse("min_profit", f"net profit {net} wei below {max(limits.min_profit_wei, 1)}")
    bnum, bden = limits.min_profit_bps
    if amount_in <= 0 or net * 10_000 * bden < amount_in * bnum:
        return _refuse(
            "min_profit_bps", f"net profit {net} wei on input {amount_in} below {bnum / bden} bps"
        )

    mult = ctx.size_multiplier
    mnum, mden = _unit_ratio(mult)
    if amount_in * mden > limits.max_trade_wei * mnum:
        return _refuse(
            "max_trade_size", f"input {amount_in} wei above cap {limits.max_trade_wei} × {mult}"
        )
    if limits.inventory_limits:
        refusal = _inventory_refusal(candidate, ctx, limits, mult)
        if refusal is not None:
            return refusal

    if ctx.pending >= limits.max_pending:
        return _refuse(
            "max_pending", f"{ctx.pending} unconfirmed trade(s) (max {limits.max_pending})"
        )
    if ctx.orders_this_block >= limits.max_orders_per_block:
        return _refuse(
            "orders_per_block",
            f"{ctx.orders_this_block} order(s) in block {ctx.head_block} (max {limits.max_orders_per_block})",
        )
    return APPROVED


def _inventory_refusal(
    candidate: Candidate, ctx: GateContext, limits: Limits, mult: float
) -> Decision | None:
    """The limits relative to the inventory held: % per trade, per-token and per-pool exposure."""
    amount_in = candidate.amount_in
    base = candidate.base_token
    inventory = ctx.inventory.get(base, 0)
    cnum, cden = _scaled_cap(inventory, limits.max_trade_pct, mult)
    if amount_in * cden > cnum:
        return _refuse(
            "max_trade_pct_inventory",
            f"input {amount_in} wei above {limits.max_trade_pct[0] / limits.max_trade_pct[1]}% of inventory {inventory} × {mult}",
        )

    scale = ctx.exposure_scale.get(base, 1.0)
    exposure = ctx.token_exposure.get(base, 0) + amount_in
    enum_, eden = _scaled_cap(inventory, limits.max_token_exposure_pct, scale)
    if exposure * eden > enum_:
        return _refuse("token_exposure", f"exposure {exposure} wei in {base} above its limit")
    pnum, pden = _scaled_cap(inventory, limits.max_pool_exposure_pct, scale)
    for pool in dict.fromkeys(candidate.pools):
        pool_exposure = ctx.pool_exposure.get((pool, base), 0) + amount_in
        if pool_exposure * pden > pnum:
            return _refuse(
                "pool_exposure", f"exposure {pool_exposure} wei through pool {pool} above its limit"
            )
    return None
