"""The pool's swap loop across initialized ticks, and the Quoter's view of it.

``UniswapV3Pool.swap`` walks from the current price towards the limit in steps: each step ends
at the next initialized tick *within the current 256-tick bitmap word* (or at the word's edge,
an uninitialized boundary), at the limit, or where the amount runs out. Word edges matter for
exactness: every step boundary rounds, so a step split at a word edge gives a different result
than one long step. The state keeps the initialized ticks sorted; a bisection and the word edge
reproduce ``TickBitmap.nextInitializedTickWithinOneWord`` without materialising bitmap words.

The final tick is computed (``getTickAtSqrtRatio``) only when a caller needs it: a quote does
not, and it is the most expensive call of a one-step swap.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from appliance.market.v3._errors import (
    AmountSpecifiedZero,
    InvalidPoolState,
    MathOverflow,
    NotFilled,
    PriceLimitInvalid,
)
from appliance.market.v3._swapmath import FEE_DENOMINATOR, compute_swap_step
from appliance.market.v3._tickmath import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

__all__ = [
    "FEE_TICK_SPACING",
    "V3PoolState",
    "V3SwapResult",
    "check_limit",
    "next_initialized_tick_within_one_word",
    "quote_exact_input",
    "quote_exact_output",
    "quoter_answer",
    "run_swap",
    "swap",
]

# the fee tiers the factory enables (its constructor, plus 100 since governance enabled it)
FEE_TICK_SPACING: Mapping[int, int] = MappingProxyType({100: 1, 500: 10, 3000: 60, 10000: 200})

_UINT128 = 1 << 128
_INT256_MAX = (1 << 255) - 1


@dataclass(frozen=True, slots=True)
class V3PoolState:
    """What a swap reads from a pool: ``slot0`` (price, tick), ``liquidity``, the initialized ticks.

    ``ticks`` maps every initialized tick (a multiple of ``tick_spacing``) to its
    ``liquidityNet``; a tick with a zero net but positions on it is initialized too and must be
    listed, because it still ends a swap step.
    """

    fee: int
    tick_spacing: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks: Mapping[int, int]
    sorted_ticks: tuple[int, ...] = field(init=False, repr=False, compare=False)
    #: ``getSqrtRatioAtTick`` of the step boundaries met so far (initialized ticks, word edges):
    #: a memo shared by every state ``moved`` from this one (same ticks), filled by swaps
    sqrt_at: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.fee < FEE_DENOMINATOR:
            raise InvalidPoolState(f"fee must be in [0, {FEE_DENOMINATOR}) pips, not {self.fee!r}")
        if not 0 < self.tick_spacing <= 16384:
            raise InvalidPoolState(f"tick_spacing must be in (0, 16384], not {self.tick_spacing!r}")
        if not MIN_SQRT_RATIO <= self.sqrt_price_x96 < MAX_SQRT_RATIO:
            raise InvalidPoolState(f"sqrt_price_x96 {self.sqrt_price_x96!r} is out of range")
        if not MIN_TICK <= self.tick <= MAX_TICK:
            raise InvalidPoolState(f"tick {self.tick!r} is out of range")
        if not 0 <= self.liquidity < _UINT128:
            raise InvalidPoolState(f"liquidity {self.liquidity!r} is not a uint128")
        spacing = self.tick_spacing
        for t, net in self.ticks.items():
            if t % spacing or not MIN_TICK <= t <= MAX_TICK:
                raise InvalidPoolState(f"tick {t!r} is not on the grid of spacing {spacing}")
            if not -_UINT128 // 2 <= net < _UINT128 // 2:
                raise InvalidPoolState(f"liquidityNet {net!r} of tick {t} is not an int128")
        object.__setattr__(self, "sorted_ticks", tuple(sorted(self.ticks)))
        object.__setattr__(self, "sqrt_at", {})

    def moved(self, sqrt_price_x96: int, tick: int, liquidity: int) -> V3PoolState:
        """This pool after a swap: new price, tick and liquidity, the same initialized ticks.

        Shares ``ticks`` and their sorted order with ``self`` instead of re-validating them,
        so a ``Swap`` log costs O(1), not O(ticks). ``ticks`` must not be mutated afterwards.
        """
        if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
            raise InvalidPoolState(f"sqrt_price_x96 {sqrt_price_x96!r} is out of range")
        if not MIN_TICK <= tick <= MAX_TICK:
            raise InvalidPoolState(f"tick {tick!r} is out of range")
        if not 0 <= liquidity < _UINT128:
            raise InvalidPoolState(f"liquidity {liquidity!r} is not a uint128")
        new = object.__new__(V3PoolState)
        for name, value in (
            ("fee", self.fee),
            ("tick_spacing", self.tick_spacing),
            ("sqrt_price_x96", sqrt_price_x96),
            ("tick", tick),
            ("liquidity", liquidity),
            ("ticks", self.ticks),
            ("sorted_ticks", self.sorted_ticks),
            ("sqrt_at", self.sqrt_at),
        ):
            object.__setattr__(new, name, value)
        return new


@dataclass(frozen=True, slots=True)
class V3SwapResult:
    """The pool's view after ``swap``: signed deltas (positive: paid into the pool) and slot0."""

    amount0: int
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int


def next_initialized_tick_within_one_word(
    sorted_ticks: tuple[int, ...], tick: int, tick_spacing: int, lte: bool
) -> tuple[int, bool]:
    """``TickBitmap.nextInitializedTickWithinOneWord`` over a sorted tuple of initialized ticks."""
    compressed = tick // tick_spacing  # floor: the library rounds negative ticks down
    i = bisect_right(sorted_ticks, tick)
    if lte:
        edge = ((compressed >> 8) << 8) * tick_spacing
        if i and sorted_ticks[i - 1] >= edge:
            return sorted_ticks[i - 1], True
        return edge, False
    edge = ((((compressed + 1) >> 8) << 8) + 255) * tick_spacing
    if i < len(sorted_ticks) and sorted_ticks[i] <= edge:
        return sorted_ticks[i], True
    return edge, False


def check_limit(state: V3PoolState, zero_for_one: bool, limit: int | None) -> int:
    price = state.sqrt_price_x96
    if limit is None:
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    if zero_for_one:
        if not MIN_SQRT_RATIO < limit < price:
            raise PriceLimitInvalid(f"limit {limit} is not in ({MIN_SQRT_RATIO}, price {price})")
    elif not price < limit < MAX_SQRT_RATIO:
        raise PriceLimitInvalid(f"limit {limit} is not in (price {price}, {MAX_SQRT_RATIO})")
    return limit


def run_swap(
    state: V3PoolState, zero_for_one: bool, amount_specified: int, limit: int, want_tick: bool
) -> tuple[int, int, int, int, int]:
    """The loop of ``UniswapV3Pool.swap``: ``(amount0, amount1, sqrt_price, tick, liquidity)``."""
    if amount_specified == 0:
        raise AmountSpecifiedZero("swap amount is zero")
    if not -_INT256_MAX <= amount_specified <= _INT256_MAX:
        raise MathOverflow(f"swap amount {amount_specified} is not an int256")
    sorted_ticks = state.sorted_ticks
    nets = state.ticks
    sqrt_at = state.sqrt_at
    spacing = state.tick_spacing
    fee = state.fee
    price = state.sqrt_price_x96
    tick = state.tick
    liquidity = state.liquidity
    remaining = amount_specified
    calculated = 0
    exact_input = amount_specified > 0
    tick_stale = False
    while remaining and price != limit:
        if tick_stale:
            tick = get_tick_at_sqrt_ratio(price)
            tick_stale = False
        start = price
        tick_next, initialized = next_initialized_tick_within_one_word(
            sorted_ticks, tick, spacing, zero_for_one
        )
        if tick_next < MIN_TICK:
            tick_next = MIN_TICK
        elif tick_next > MAX_TICK:
            tick_next = MAX_TICK
        price_next = sqrt_at.get(tick_next)
        if price_next is None:
            price_next = sqrt_at[tick_next] = get_sqrt_ratio_at_tick(tick_next)
        if zero_for_one:
            target = limit if price_next < limit else price_next
        else:
            target = limit if price_next > limit else price_next
        price, amount_in, amount_out, fee_amount = compute_swap_step(
            price, target, liquidity, remaining, fee
        )
        if exact_input:
            remaining -= amount_in + fee_amount
            calculated -= amount_out
        else:
            remaining += amount_out
            calculated += amount_in + fee_amount
        if price == price_next:
            if initialized:
                net = nets[tick_next]
                liquidity = liquidity - net if zero_for_one else liquidity + net
                if not 0 <= liquidity < _UINT128:
                    raise MathOverflow(f"liquidity leaves uint128 crossing tick {tick_next}")
            tick = tick_next - 1 if zero_for_one else tick_next
        elif price != start:
            tick_stale = True
    if tick_stale and want_tick:
        tick = get_tick_at_sqrt_ratio(price)
    if zero_for_one == exact_input:
        return amount_specified - remaining, calculated, price, tick, liquidity
    return calculated, amount_specified - remaining, price, tick, liquidity


def swap(
    state: V3PoolState,
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit_x96: int | None = None,
) -> V3SwapResult:
    """``UniswapV3Pool.swap`` on ``state``: ``amount_specified > 0`` exact input, ``< 0`` output.

    ``sqrt_price_limit_x96=None`` is the Quoter's default, ``MIN_SQRT_RATIO + 1`` /
    ``MAX_SQRT_RATIO - 1``. A partial fill (liquidity or limit ran out) is a normal result.

    Raises:
        AmountSpecifiedZero, PriceLimitInvalid, MathOverflow: where the pool reverts.
    """
    limit = check_limit(state, zero_for_one, sqrt_price_limit_x96)
    return V3SwapResult(*run_swap(state, zero_for_one, amount_specified, limit, True))


def quote_exact_input(
    state: V3PoolState,
    zero_for_one: bool,
    amount_in: int,
    sqrt_price_limit_x96: int | None = None,
) -> int:
    """What ``QuoterV2.quoteExactInputSingle`` returns: the output for at most ``amount_in``.

    When liquidity or the limit runs out first, the output of the partial fill.

    Raises:
        NotFilled: nothing at all would be paid in (the Quoter's callback refuses).
        V3SwapError: any other revert of the pool (zero amount, bad limit, overflow).
    """
    if amount_in < 0:
        raise MathOverflow(f"amount_in {amount_in} is not a uint256")
    limit = check_limit(state, zero_for_one, sqrt_price_limit_x96)
    amount0, amount1, *_ = run_swap(state, zero_for_one, amount_in, limit, False)
    return quoter_answer(amount0, amount1, amount_in, True, sqrt_price_limit_x96 is None)


def quote_exact_output(
    state: V3PoolState,
    zero_for_one: bool,
    amount_out: int,
    sqrt_price_limit_x96: int | None = None,
) -> int:
    """What ``QuoterV2.quoteExactOutputSingle`` returns: the input for ``amount_out``.

    With an explicit limit, the input of the partial fill when the limit or liquidity runs out.
    Without one the Quoter insists on the full output, so a shortfall raises :class:`NotFilled`.

    Raises:
        NotFilled: nothing would be paid in, or (no limit) less than ``amount_out`` comes out.
        V3SwapError: any other revert of the pool (zero amount, bad limit, overflow).
    """
    if amount_out < 0:
        raise MathOverflow(f"amount_out {amount_out} is not a uint256")
    limit = check_limit(state, zero_for_one, sqrt_price_limit_x96)
    amount0, amount1, *_ = run_swap(state, zero_for_one, -amount_out, limit, False)
    return quoter_answer(amount0, amount1, amount_out, False, sqrt_price_limit_x96 is None)


def quoter_answer(amount0: int, amount1: int, amount: int, exact_input: bool, strict: bool) -> int:
    """QuoterV2's answer from the pool's deltas (its swap callback reverts with it).

    Exact input: what came out. Exact output: what must be paid; with ``strict`` (no limit
    given) the Quoter also insists the whole ``amount`` came out.

    Raises:
        NotFilled: nothing would be paid in, or (strict, exact output) the output is short.
    """
    if amount0 > 0:
        to_pay, received = amount0, -amount1
    elif amount1 > 0:
        to_pay, received = amount1, -amount0
    else:
        raise NotFilled("swap lies entirely in a zero-liquidity region")
    if exact_input:
        return received
    if strict and received != amount:
        raise NotFilled(f"only {received} of {amount} can come out of the pool")
    return to_pay
