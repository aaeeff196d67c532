"""V3PoolWindow: built from fetched words and ticks, kept current from Swap/Mint/Burn logs.

Ground truth is a whole-pool model: the list of positions (the pool's ticks follow from them)
and :func:`swap` on the complete state. The window must agree with it exactly wherever it
answers, and refuse (``OutsideTickWindow``) exactly where it would need ticks it lacks.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.market.v3math import (
    InvalidPoolState,
    NotFilled,
    OutsideTickWindow,
    V3PoolState,
    V3SwapError,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    quote_exact_input,
    quote_exact_output,
    swap,
)
from appliance.market.v3state import V3PoolWindow, window_words

E18 = 10**18


class PoolModel:
    """The whole pool: positions, price, tick, liquidity — what the contract would hold."""

    def __init__(self, fee: int, spacing: int, sqrt_price: int) -> None:
        self.fee, self.spacing = fee, spacing
        self.sqrt_price, self.tick = sqrt_price, get_tick_at_sqrt_ratio(sqrt_price)
        self.liquidity = 0
        self.positions: list[list[int]] = []  # [lower, upper, liquidity]

    def ticks(self) -> dict[int, tuple[int, int]]:
        book: dict[int, list[int]] = {}
        for lower, upper, amount in self.positions:
            if amount:
                for t, net in ((lower, amount), (upper, -amount)):
                    entry = book.setdefault(t, [0, 0])
                    entry[0] += amount
                    entry[1] += net
        return {t: (g, n) for t, (g, n) in book.items()}

    def state(self) -> V3PoolState:
        nets = {t: n for t, (_g, n) in self.ticks().items()}
        return V3PoolState(self.fee, self.spacing, self.sqrt_price, self.tick, self.liquidity, nets)

    def mint(self, lower: int, upper: int, amount: int) -> None:
        self.positions.append([lower, upper, amount])
        if lower <= self.tick < upper:
            self.liquidity += amount

    def burn(self, index: int, amount: int) -> tuple[int, int]:
        pos = self.positions[index]
        pos[2] -= amount
        if pos[0] <= self.tick < pos[1]:
            self.liquidity -= amount
        return pos[0], pos[1]

    def swap(self, zero_for_one: bool, amount: int, limit: int | None):
        r = swap(self.state(), zero_for_one, amount, limit)
        self.sqrt_price, self.tick, self.liquidity = r.sqrt_price_x96, r.tick, r.liquidity
        return r

    def window(self, radius: int) -> V3PoolWindow:
        words_range = window_words(self.tick, self.spacing, radius)
        ticks = {t: v for t, v in self.ticks().items() if (t // self.spacing) >> 8 in words_range}
        words = dict.fromkeys(words_range, 0)
        for t in ticks:
            c = t // self.spacing
            words[c >> 8] |= 1 << (c & 255)
        return V3PoolWindow(
            fee=self.fee, tick_spacing=self.spacing, sqrt_price_x96=self.sqrt_price,
            tick=self.tick, liquidity=self.liquidity, words=words, ticks=ticks,
        )  # fmt: skip


def ladder(spacing: int = 10, fee: int = 500) -> PoolModel:
    model = PoolModel(fee, spacing, get_sqrt_ratio_at_tick(0) + 12345)
    edge = 887272 // spacing * spacing
    model.mint(-edge, edge, 10 * E18)
    for i in range(1, 1200, 7):  # positions spread over ~ five words each side
        model.mint(-i * spacing, (i + 3) * spacing, E18 + i)
    return model


def test_window_quotes_equal_the_whole_pool_inside_and_refuse_past_the_edge() -> None:
    model = ladder()
    window = model.window(radius=1)
    full = model.state()
    assert window.low_word == -1 and window.high_word == 1 and not window.needs_refetch
    small = 10**15
    for zero_for_one in (True, False):
        assert window.quote_exact_input(zero_for_one, small) == quote_exact_input(
            full, zero_for_one, small
        )
        assert window.quote_exact_output(zero_for_one, small) == quote_exact_output(
            full, zero_for_one, small
        )
        with pytest.raises(OutsideTickWindow):  # would walk past the fetched words
            window.quote_exact_input(zero_for_one, 10**30)
    # a tighter limit of the caller's own inside the window: a partial fill, as the Quoter does
    limit = get_sqrt_ratio_at_tick(-100)
    assert window.quote_exact_input(True, 10**30, limit) == quote_exact_input(
        full, True, 10**30, limit
    )


@settings(max_examples=200, deadline=None)
@given(
    spacing=st.sampled_from([1, 10, 60, 200]),
    radius=st.integers(0, 2),
    zero_for_one=st.booleans(),
    exact_input=st.booleans(),
    amount=st.integers(1, 10**24),
    limit_ticks=st.one_of(st.none(), st.integers(1, 3000)),
)
def test_window_agrees_or_refuses(
    spacing: int,
    radius: int,
    zero_for_one: bool,
    exact_input: bool,
    amount: int,
    limit_ticks: int | None,
) -> None:
    model = ladder(spacing, {1: 100, 10: 500, 60: 3000, 200: 10000}[spacing])
    window = model.window(radius)
    full = model.state()
    limit = None
    if limit_ticks is not None:
        t = (
            model.tick - limit_ticks * spacing
            if zero_for_one
            else model.tick + limit_ticks * spacing
        )
        limit = get_sqrt_ratio_at_tick(t)
    specified = amount if exact_input else -amount
    try:
        mine = window.swap(zero_for_one, specified, limit)
    except OutsideTickWindow:
        whole = swap(full, zero_for_one, specified, limit)
        edge = window.low_tick if zero_for_one else window.high_tick
        assert (whole.tick < edge) if zero_for_one else (whole.tick >= edge)
        return
    except V3SwapError as exc:
        with pytest.raises(type(exc)):
            swap(full, zero_for_one, specified, limit)
        return
    assert mine == swap(full, zero_for_one, specified, limit)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("msb"), st.integers(0, 10**9)), min_size=1, max_size=25))
def test_events_keep_the_window_equal_to_the_pool(events: list[tuple[str, int]]) -> None:
    model = ladder()
    window = model.window(radius=3)
    for kind, r in events:
        if window.needs_refetch:
            window = model.window(radius=3)  # what the appliance does: refetch around the price
        if kind == "m":
            lower = (model.tick // 10 - 40 + r % 60) * 10
            upper = lower + (1 + r % 13) * 10
            amount = E18 // 7 + r
            model.mint(lower, upper, amount)
            window.apply_mint(lower, upper, amount)
        elif kind == "b":
            index = r % len(model.positions)
            amount = model.positions[index][2] * (r % 3) // 2  # 0, half or all of it
            lower, upper = model.burn(index, amount)
            window.apply_burn(lower, upper, amount)
        else:
            zero_for_one = r % 2 == 0
            try:
                result = model.swap(zero_for_one, 10**14 + r * 10**9, None)
            except V3SwapError:
                continue
            window.apply_swap(result.sqrt_price_x96, result.liquidity, result.tick)
        fresh = model.window(radius=3)
        fresh_ticks = {t: n for t, n in model.state().ticks.items()}
        assert (window.sqrt_price_x96, window.tick, window.liquidity) == (
            model.sqrt_price, model.tick, model.liquidity,
        )  # fmt: skip
        inside = {t: n for t, n in fresh_ticks.items() if window.low_tick <= t <= window.high_tick}
        assert dict(window.state.ticks) == inside
        assert fresh.liquidity == window.liquidity


def test_a_burned_out_tick_leaves_the_bitmap() -> None:
    model = PoolModel(3000, 60, get_sqrt_ratio_at_tick(0))
    model.mint(-600, 600, E18)
    model.mint(-120, 120, E18)
    model.mint(120, 240, E18)  # tick 120 has net 0 but is initialized (gross 2e18)
    window = model.window(radius=0)
    assert window.state.ticks[120] == 0
    window.apply_burn(-120, 120, E18)
    assert window.state.ticks[120] == E18 and -120 not in window.state.ticks
    window.apply_burn(120, 240, E18)
    assert 120 not in window.state.ticks and 240 not in window.state.ticks
    assert window.liquidity == E18


def test_needs_refetch_once_the_price_leaves_the_window() -> None:
    model = ladder()
    window = model.window(radius=0)
    assert not window.needs_refetch
    r = model.swap(True, 10**30, get_sqrt_ratio_at_tick(window.low_tick - 50))
    window.apply_swap(r.sqrt_price_x96, r.liquidity, r.tick)
    assert window.needs_refetch
    with pytest.raises(OutsideTickWindow, match="outside the fetched ticks"):
        window.quote_exact_input(True, 1000)


def test_exact_output_without_limit_short_of_liquidity_is_refused() -> None:
    model = PoolModel(3000, 60, get_sqrt_ratio_at_tick(0))
    model.mint(-60, 60, E18)
    window = model.window(radius=3000)  # every word: nothing is outside
    with pytest.raises(NotFilled):
        window.quote_exact_output(True, 10**30)
    with pytest.raises(NotFilled):
        quote_exact_output(model.state(), True, 10**30)


def test_malformed_fetches_are_rejected() -> None:
    kwargs = dict(fee=500, tick_spacing=10, sqrt_price_x96=2**96, tick=0, liquidity=0)
    with pytest.raises(InvalidPoolState, match="not contiguous"):
        V3PoolWindow(**kwargs, words={0: 0, 2: 0}, ticks={})
    with pytest.raises(InvalidPoolState, match="disagree"):
        V3PoolWindow(**kwargs, words={0: 1 << 3}, ticks={})
    with pytest.raises(InvalidPoolState, match="disagree"):
        V3PoolWindow(**kwargs, words={0: 0}, ticks={30: (1, 1)})
    with pytest.raises(InvalidPoolState, match="liquidityGross"):
        V3PoolWindow(**kwargs, words={0: 1 << 3}, ticks={30: (0, 0)})
    with pytest.raises(InvalidPoolState):
        V3PoolWindow(**kwargs, words={}, ticks={})


def test_window_words_clamp_to_the_tick_range() -> None:
    assert window_words(0, 60, 2) == range(-2, 3)
    assert window_words(-887272, 1, 2) == range(-3466, -3463)
    assert window_words(887271, 1, 2) == range(3463, 3466)


def test_moved_state_equals_a_fresh_one() -> None:
    model = ladder()
    state = model.state()
    r = model.swap(True, 10**20, None)
    moved = state.moved(r.sqrt_price_x96, r.tick, r.liquidity)
    assert moved == model.state() and moved.sorted_ticks == model.state().sorted_ticks
    with pytest.raises(InvalidPoolState):
        state.moved(0, 0, 0)


def test_a_state_handed_out_does_not_change_under_its_holder() -> None:
    model = ladder()
    window = model.window(radius=1)
    before = window.state
    ticks_before = dict(before.ticks)
    window.apply_mint(-50, 50, E18)
    assert dict(before.ticks) == ticks_before and window.state.ticks != ticks_before
    assert quote_exact_input(before, True, 10**15) == quote_exact_input(
        V3PoolState(before.fee, before.tick_spacing, before.sqrt_price_x96, before.tick,
                    before.liquidity, ticks_before), True, 10**15
    )  # fmt: skip
