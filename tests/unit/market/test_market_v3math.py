"""V3 arithmetic against Uniswap v3-core's own vectors (TickMath snapshot, FullMath, SqrtPriceMath,
SwapMath and TickBitmap spec values), plus properties the libraries promise.

The numbers below are facts read from v3-core's test suite (``test/*.spec.ts`` and
``test/__snapshots__/TickMath.spec.ts.snap``); the tests around them are ours.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.market.errors import SwapError
from appliance.market.v3math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    MathOverflow,
    TickOutOfRange,
    amount0_delta,
    amount1_delta,
    compute_swap_step,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    mul_div,
    mul_div_rounding_up,
    next_initialized_tick_within_one_word,
    next_sqrt_price_from_input,
    next_sqrt_price_from_output,
)
from tests.unit.market.v3_helpers import encode_price_sqrt

MAX_UINT256 = 2**256 - 1
MAX_UINT128 = 2**128 - 1
Q128 = 2**128
E18 = 10**18


SQRT_RATIO_AT_TICK = {
    -50: 79030349367926598376800521322,
    -100: 78833030112140176575862854579,
    -250: 78244023372248365697264290337,
    -500: 77272108795590369356373805297,
    -1000: 75364347830767020784054125655,
    -2500: 69919044979842180277688105136,
    -3000: 68192822843687888778582228483,
    -4000: 64867181785621769311890333195,
    -5000: 61703726247759831737814779831,
    -50000: 6504256538020985011912221507,
    -150000: 43836292794701720435367485,
    -250000: 295440463448801648376846,
    -500000: 1101692437043807371,
    -738203: 7409801140451,
    50: 79426470787362580746886972461,
    100: 79625275426524748796330556128,
    250: 80224679980005306637834519095,
    500: 81233731461783161732293370115,
    1000: 83290069058676223003182343270,
    2500: 89776708723587163891445672585,
    3000: 92049301871182272007977902845,
    4000: 96768528593268422080558758223,
    5000: 101729702841318637793976746270,
    50000: 965075977353221155028623082916,
    150000: 143194173941309278083010301478497,
    250000: 21246587762933397357449903968194344,
    500000: 5697689776495288729098254600827762987878,
    738203: 847134979253254120489401328389043031315994541,
}
TICK_AT_SQRT_RATIO = {
    4295128739: -887272,
    79228162514264337593543: -276325,
    79228162514264337593543950: -138163,
    9903520314283042199192993792: -41591,
    28011385487393069959365969113: -20796,
    56022770974786139918731938227: -6932,
    79228162514264337593543950336: 0,
    112045541949572279837463876454: 6931,
    224091083899144559674927752909: 20795,
    633825300114114700748351602688: 41590,
    79228162514264337593543950336000: 138162,
    79228162514264337593543950336000000: 276324,
    1461446703485210103287273052203988822378723970341: 887271,
}


# ------------------------------------------------------------------------------------- TickMath
@pytest.mark.parametrize(("tick", "expected"), sorted(SQRT_RATIO_AT_TICK.items()))
def test_sqrt_ratio_at_tick_matches_snapshot(tick: int, expected: int) -> None:
    assert get_sqrt_ratio_at_tick(tick) == expected


@pytest.mark.parametrize(("ratio", "expected"), sorted(TICK_AT_SQRT_RATIO.items()))
def test_tick_at_sqrt_ratio_matches_snapshot(ratio: int, expected: int) -> None:
    assert get_tick_at_sqrt_ratio(ratio) == expected


def test_tick_math_spec_bounds() -> None:
    assert get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO == 4295128739
    assert get_sqrt_ratio_at_tick(MIN_TICK + 1) == 4295343490
    assert get_sqrt_ratio_at_tick(MAX_TICK - 1) == 1461373636630004318706518188784493106690254656249
    assert get_sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO
    assert get_tick_at_sqrt_ratio(4295343490) == MIN_TICK + 1
    assert get_tick_at_sqrt_ratio(1461373636630004318706518188784493106690254656249) == MAX_TICK - 1
    assert get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1) == MAX_TICK - 1
    for bad in (MIN_TICK - 1, MAX_TICK + 1):
        with pytest.raises(TickOutOfRange, match=str(bad)):
            get_sqrt_ratio_at_tick(bad)
    for bad in (MIN_SQRT_RATIO - 1, MAX_SQRT_RATIO):
        with pytest.raises(TickOutOfRange, match=str(bad)):
            get_tick_at_sqrt_ratio(bad)


def test_encode_price_sqrt_reproduces_the_spec_ratios() -> None:
    # the snapshot's getTickAtSqrtRatio inputs are encodePriceSqrt of these prices
    assert encode_price_sqrt(1, 1) == 79228162514264337593543950336
    assert encode_price_sqrt(10**12, 1) == 79228162514264337593543950336000000
    assert encode_price_sqrt(1, 64) == 9903520314283042199192993792
    assert encode_price_sqrt(1, 2) == 56022770974786139918731938227
    assert encode_price_sqrt(1, 10**12) == 79228162514264337593543


@settings(max_examples=300, deadline=None)
@given(st.integers(MIN_TICK, MAX_TICK - 1))
def test_tick_at_sqrt_ratio_is_the_greatest_tick_at_or_below(tick: int) -> None:
    ratio = get_sqrt_ratio_at_tick(tick)
    assert get_tick_at_sqrt_ratio(ratio) == tick
    upper = get_sqrt_ratio_at_tick(tick + 1)
    assert get_tick_at_sqrt_ratio(upper - 1) == tick
    assert ratio < upper


@settings(max_examples=300, deadline=None)
@given(st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1))
def test_any_price_lies_between_its_tick_and_the_next(ratio: int) -> None:
    tick = get_tick_at_sqrt_ratio(ratio)
    assert get_sqrt_ratio_at_tick(tick) <= ratio < get_sqrt_ratio_at_tick(tick + 1)


# ------------------------------------------------------------------------------------- FullMath
def test_mul_div_spec_values() -> None:
    assert mul_div(MAX_UINT256, MAX_UINT256, MAX_UINT256) == MAX_UINT256
    assert mul_div(Q128, 50 * Q128 // 100, 150 * Q128 // 100) == Q128 // 3
    assert mul_div(Q128, 35 * Q128, 8 * Q128) == 4375 * Q128 // 1000
    assert mul_div(Q128, 1000 * Q128, 3000 * Q128) == Q128 // 3
    assert mul_div_rounding_up(MAX_UINT256, MAX_UINT256, MAX_UINT256) == MAX_UINT256
    assert mul_div_rounding_up(Q128, 50 * Q128 // 100, 150 * Q128 // 100) == Q128 // 3 + 1
    assert mul_div_rounding_up(Q128, 35 * Q128, 8 * Q128) == 4375 * Q128 // 1000
    assert mul_div_rounding_up(Q128, 1000 * Q128, 3000 * Q128) == Q128 // 3 + 1


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        (Q128, 5, 0),
        (Q128, Q128, 0),
        (Q128, Q128, 1),
        (MAX_UINT256, MAX_UINT256, MAX_UINT256 - 1),
    ],
)
def test_mul_div_reverts_like_the_library(a: int, b: int, d: int) -> None:
    with pytest.raises(MathOverflow):
        mul_div(a, b, d)
    with pytest.raises(MathOverflow):
        mul_div_rounding_up(a, b, d)


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        (535006138814359, 432862656469423142931042426214547535783388063929571229938474969, 2),
        (
            115792089237316195423570985008687907853269984659341747863450311749907997002549,
            115792089237316195423570985008687907853269984659341747863450311749907997002550,
            115792089237316195423570985008687907853269984653042931687443039491902864365164,
        ),
    ],
)
def test_mul_div_rounding_up_reverts_past_256_bits_after_rounding(a: int, b: int, d: int) -> None:
    assert mul_div(a, b, d) == MAX_UINT256  # the floor still fits ...
    with pytest.raises(MathOverflow):  # ... the +1 does not
        mul_div_rounding_up(a, b, d)


# -------------------------------------------------------------------------------- SqrtPriceMath
def test_next_sqrt_price_from_input_spec_values() -> None:
    one = encode_price_sqrt(1, 1)
    assert next_sqrt_price_from_input(one, E18, E18 // 10, False) == 87150978765690771352898345369
    assert next_sqrt_price_from_input(one, E18, E18 // 10, True) == 72025602285694852357767227579
    assert next_sqrt_price_from_input(one, 10 * E18, 2**100, True) == 624999999995069620
    assert next_sqrt_price_from_input(one, 1, MAX_UINT256 // 2, True) == 1
    assert next_sqrt_price_from_input(1, 1, 2**255, True) == 1
    assert next_sqrt_price_from_input(one, E18 // 10, 0, True) == one
    assert next_sqrt_price_from_input(one, E18 // 10, 0, False) == one
    sqrt_p = 2**160 - 1
    max_amount = MAX_UINT256 - (MAX_UINT128 << 96) // sqrt_p
    assert next_sqrt_price_from_input(sqrt_p, MAX_UINT128, max_amount, True) == 1
    # sqrtP · sqrtQ overflows: the fallback branch
    sqrt_p = 1025574284609383690408304870162715216695788925244
    liquidity = 50015962439936049619261659728067971248
    sqrt_q = next_sqrt_price_from_input(sqrt_p, liquidity, 406, True)
    assert sqrt_q == 1025574284609383582644711336373707553698163132913
    assert amount0_delta(sqrt_q, sqrt_p, liquidity, True) == 406


def test_next_sqrt_price_from_input_reverts() -> None:
    with pytest.raises(MathOverflow):
        next_sqrt_price_from_input(0, 0, E18 // 10, False)
    with pytest.raises(MathOverflow):
        next_sqrt_price_from_input(1, 0, E18 // 10, True)
    with pytest.raises(MathOverflow):  # the price would leave uint160
        next_sqrt_price_from_input(2**160 - 1, 1024, 1024, False)


def test_next_sqrt_price_from_output_spec_values() -> None:
    one = encode_price_sqrt(1, 1)
    assert next_sqrt_price_from_output(one, E18, E18 // 10, False) == 88031291682515930659493278152
    assert next_sqrt_price_from_output(one, E18, E18 // 10, True) == 71305346262837903834189555302
    assert next_sqrt_price_from_output(one, E18 // 10, 0, True) == one
    assert next_sqrt_price_from_output(one, E18 // 10, 0, False) == one
    price = 20282409603651670423947251286016
    assert next_sqrt_price_from_output(price, 1024, 262143, True) == 77371252455336267181195264


@pytest.mark.parametrize(
    ("price", "liquidity", "amount_out", "zero_for_one"),
    [
        (0, 0, E18 // 10, False),
        (1, 0, E18 // 10, True),
        (20282409603651670423947251286016, 1024, 4, False),  # exactly the virtual token0 reserve
        (20282409603651670423947251286016, 1024, 5, False),
        (20282409603651670423947251286016, 1024, 262145, True),
        (20282409603651670423947251286016, 1024, 262144, True),  # exactly the token1 reserve
        (79228162514264337593543950336, 1, MAX_UINT256, True),
        (79228162514264337593543950336, 1, MAX_UINT256, False),
    ],
)
def test_next_sqrt_price_from_output_reverts(
    price: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> None:
    with pytest.raises(MathOverflow):
        next_sqrt_price_from_output(price, liquidity, amount_out, zero_for_one)


def test_amount_deltas_spec_values() -> None:
    one, p121 = encode_price_sqrt(1, 1), encode_price_sqrt(121, 100)
    assert amount0_delta(one, encode_price_sqrt(2, 1), 0, True) == 0
    assert amount0_delta(one, one, 0, True) == 0
    assert amount0_delta(one, p121, E18, True) == 90909090909090910
    assert amount0_delta(one, p121, E18, False) == 90909090909090909
    assert amount1_delta(one, encode_price_sqrt(2, 1), 0, True) == 0
    assert amount1_delta(one, p121, E18, True) == 100000000000000000
    assert amount1_delta(one, p121, E18, False) == 99999999999999999
    low, high = encode_price_sqrt(2**90, 1), encode_price_sqrt(2**96, 1)
    assert amount0_delta(low, high, E18, True) == amount0_delta(low, high, E18, False) + 1


# ------------------------------------------------------------------------------------- SwapMath
SWAP_STEP_SPEC = [
    # (price, target, liquidity, amount_remaining, fee) -> (sqrt_next or None, in, out, fee)
    ((1, 1), (101, 100), 2 * E18, E18, 600, "target", 9975124224178055, 9925619580021728, 5988667735148),
    ((1, 1), (101, 100), 2 * E18, -E18, 600, "target", 9975124224178055, 9925619580021728, 5988667735148),
    ((1, 1), (1000, 100), 2 * E18, E18, 600, None, 999400000000000000, 666399946655997866, 600000000000000),
    ((1, 1), (10000, 100), 2 * E18, -E18, 600, None, 2000000000000000000, E18, 1200720432259356),
]  # fmt: skip


@pytest.mark.parametrize(
    ("price", "target", "liquidity", "remaining", "fee", "next_", "a_in", "a_out", "a_fee"),
    SWAP_STEP_SPEC,
)
def test_compute_swap_step_spec_cases(
    price: tuple[int, int],
    target: tuple[int, int],
    liquidity: int,
    remaining: int,
    fee: int,
    next_: str | None,
    a_in: int,
    a_out: int,
    a_fee: int,
) -> None:
    sqrt_p, sqrt_t = encode_price_sqrt(*price), encode_price_sqrt(*target)
    sqrt_q, amount_in, amount_out, fee_amount = compute_swap_step(
        sqrt_p, sqrt_t, liquidity, remaining, fee
    )
    assert (amount_in, amount_out, fee_amount) == (a_in, a_out, a_fee)
    if next_ == "target":
        assert sqrt_q == sqrt_t
    else:
        assert sqrt_q < sqrt_t
        if remaining > 0:
            assert amount_in + fee_amount == remaining
            assert sqrt_q == next_sqrt_price_from_input(sqrt_p, liquidity, remaining - a_fee, False)
        else:
            assert sqrt_q == next_sqrt_price_from_output(sqrt_p, liquidity, -remaining, False)


def test_compute_swap_step_spec_edge_cases() -> None:
    # amount out capped at the desired amount out (would be 2)
    assert compute_swap_step(
        417332158212080721273783715441582,
        1452870262520218020823638996,
        159344665391607089467575320103,
        -1,
        1,
    ) == (417332158212080721273783715441581, 1, 1, 1)
    # target price of 1 uses a partial input amount
    assert compute_swap_step(2, 1, 1, 3915081100057732413702495386755767, 1) == (
        1,
        39614081257132168796771975168,
        0,
        39614120871253040049813,
    )
    # the entire input taken as fee
    assert compute_swap_step(
        2413, 79887613182836312, 1985041575832132834610021537970, 10, 1872
    ) == (
        2413,
        0,
        0,
        10,
    )
    # intermediate insufficient liquidity, exact output, both directions
    sqrt_p = 20282409603651670423947251286016
    assert compute_swap_step(sqrt_p, sqrt_p * 11 // 10, 1024, -4, 3000) == (
        sqrt_p * 11 // 10,
        26215,
        0,
        79,
    )
    assert compute_swap_step(sqrt_p, sqrt_p * 9 // 10, 1024, -263000, 3000) == (
        sqrt_p * 9 // 10,
        1,
        26214,
        1,
    )


@settings(max_examples=300, deadline=None)
@given(
    price=st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1),
    target=st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1),
    liquidity=st.integers(1, MAX_UINT128),
    remaining=st.integers(-(2**200), 2**200).filter(bool),
    fee=st.integers(0, 999_999),
)
def test_compute_swap_step_invariants(
    price: int, target: int, liquidity: int, remaining: int, fee: int
) -> None:
    """The invariants v3-core's echidna test asserts for computeSwapStep."""
    try:
        sqrt_q, amount_in, amount_out, fee_amount = compute_swap_step(
            price, target, liquidity, remaining, fee
        )
    except SwapError:
        return
    assert amount_in <= MAX_UINT256 - fee_amount
    if remaining < 0:
        assert amount_out <= -remaining
    else:
        assert amount_in + fee_amount <= remaining
    if price == target:
        assert sqrt_q == target
    if sqrt_q != target:  # the target is not reached only when the whole amount is used
        if remaining < 0:
            assert amount_out == -remaining
        else:
            assert amount_in + fee_amount == remaining
    if target <= price:  # the price never passes the target
        assert target <= sqrt_q <= price
    else:
        assert price <= sqrt_q <= target


# ------------------------------------------------------------------------------------ TickBitmap
BITMAP_TICKS = (-200, -55, -4, 70, 78, 84, 139, 240, 535)
BITMAP_SPEC = [
    # (extra initialized tick, from tick, lte, next, initialized)
    (None, 78, False, 84, True),
    (None, -55, False, -4, True),
    (None, 77, False, 78, True),
    (None, -56, False, -55, True),
    (None, 255, False, 511, False),
    (None, -257, False, -200, True),
    (340, 328, False, 340, True),
    (None, 508, False, 511, False),
    (None, 383, False, 511, False),
    (None, 78, True, 78, True),
    (None, 79, True, 78, True),
    (None, 258, True, 256, False),
    (None, 256, True, 256, False),
    (None, 72, True, 70, True),
    (None, -257, True, -512, False),
    (None, 1023, True, 768, False),
    (None, 900, True, 768, False),
    (329, 456, True, 329, True),
]


@pytest.mark.parametrize(("extra", "tick", "lte", "next_", "initialized"), BITMAP_SPEC)
def test_next_initialized_tick_spec_cases(
    extra: int | None, tick: int, lte: bool, next_: int, initialized: bool
) -> None:
    ticks = tuple(sorted(BITMAP_TICKS + ((extra,) if extra is not None else ())))
    assert next_initialized_tick_within_one_word(ticks, tick, 1, lte) == (next_, initialized)


def reference_next_tick(
    bitmap: dict[int, int], tick: int, spacing: int, lte: bool
) -> tuple[int, bool]:
    """TickBitmap.nextInitializedTickWithinOneWord over real 256-bit words (msb/lsb)."""
    compressed = tick // spacing
    if lte:
        word, bit = compressed >> 8, compressed & 255
        masked = bitmap.get(word, 0) & ((1 << bit) - 1 + (1 << bit))
        if masked:
            return (compressed - (bit - (masked.bit_length() - 1))) * spacing, True
        return (compressed - bit) * spacing, False
    word, bit = (compressed + 1) >> 8, (compressed + 1) & 255
    masked = bitmap.get(word, 0) & ~((1 << bit) - 1)
    if masked:
        lsb = (masked & -masked).bit_length() - 1
        return (compressed + 1 + (lsb - bit)) * spacing, True
    return (compressed + 1 + (255 - bit)) * spacing, False


@settings(max_examples=300, deadline=None)
@given(
    spacing=st.sampled_from([1, 10, 60, 200]),
    compressed=st.sets(st.integers(-2000, 2000), max_size=40),
    position=st.integers(-2100, 2100),
    offset=st.integers(0, 199),
    lte=st.booleans(),
)
def test_next_initialized_tick_equals_the_bitmap_walk(
    spacing: int, compressed: set[int], position: int, offset: int, lte: bool
) -> None:
    tick = position * spacing + offset % spacing
    bitmap: dict[int, int] = {}
    for c in compressed:
        bitmap[c >> 8] = bitmap.get(c >> 8, 0) | (1 << (c & 255))
    ticks = tuple(sorted(c * spacing for c in compressed))
    assert next_initialized_tick_within_one_word(ticks, tick, spacing, lte) == reference_next_tick(
        bitmap, tick, spacing, lte
    )
