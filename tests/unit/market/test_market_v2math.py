"""The pair arithmetic against a pure-integer transcription of UniswapV2Library/UniswapV2Pair."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.market import (
    InsufficientInputAmount,
    InsufficientLiquidity,
    InsufficientOutputAmount,
    KInvariantViolated,
    check_k,
    get_amount_in,
    get_amount_out,
    get_amounts_in,
    get_amounts_out,
    min_amount_in,
)

UINT112 = 2**112 - 1
amounts = st.integers(min_value=1, max_value=2**100)
reserves = st.integers(min_value=1, max_value=UINT112)


def ref_amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """UniswapV2Library.getAmountOut, literally (0.3 %)."""
    amount_in_with_fee = amount_in * 997
    numerator = amount_in_with_fee * reserve_out
    denominator = reserve_in * 1000 + amount_in_with_fee
    return numerator // denominator


def ref_amount_in(amount_out: int, reserve_in: int, reserve_out: int) -> int:
    """UniswapV2Library.getAmountIn, literally (0.3 %)."""
    numerator = reserve_in * amount_out * 1000
    denominator = (reserve_out - amount_out) * 997
    return numerator // denominator + 1


def ref_k_ok(b0: int, b1: int, a0_in: int, a1_in: int, r0: int, r1: int) -> bool:
    """UniswapV2Pair.swap's K check, literally."""
    b0_adj = b0 * 1000 - a0_in * 3
    b1_adj = b1 * 1000 - a1_in * 3
    return b0_adj * b1_adj >= r0 * r1 * 1000**2


# 2,000 examples x 5 cases = 10,000 cases (batched: hypothesis' per-example overhead dominates)
@settings(max_examples=2_000, deadline=None)
@given(st.lists(st.tuples(amounts, reserves, reserves), min_size=5, max_size=5))
def test_amount_out_matches_the_library_bit_for_bit(cases):
    for amount_in, reserve_in, reserve_out in cases:
        assert get_amount_out(amount_in, reserve_in, reserve_out) == ref_amount_out(
            amount_in, reserve_in, reserve_out
        )


@settings(max_examples=300, deadline=None)
@given(reserves, reserves, st.integers(min_value=1, max_value=2**100))
def test_amount_in_matches_the_library(reserve_in, reserve_out, amount_out):
    if amount_out >= reserve_out:
        with pytest.raises(InsufficientLiquidity):
            get_amount_in(amount_out, reserve_in, reserve_out)
        return
    assert get_amount_in(amount_out, reserve_in, reserve_out) == ref_amount_in(
        amount_out, reserve_in, reserve_out
    )


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=10**30),
    reserves,
    reserves,
    st.sampled_from([0, 1, 5, 25, 30, 100, 300]),
)
def test_min_amount_in_is_the_least_input_that_suffices(amount_out, reserve_in, reserve_out, fee):
    if amount_out >= reserve_out:
        with pytest.raises(InsufficientLiquidity):
            min_amount_in(amount_out, reserve_in, reserve_out, fee)
        return
    x = min_amount_in(amount_out, reserve_in, reserve_out, fee)
    assert get_amount_out(x, reserve_in, reserve_out, fee) >= amount_out
    if x > 1:
        assert get_amount_out(x - 1, reserve_in, reserve_out, fee) < amount_out
    # the router's getAmountIn (+1) is never below the minimum
    assert get_amount_in(amount_out, reserve_in, reserve_out, fee) >= x


@settings(max_examples=300, deadline=None)
@given(amounts, reserves, reserves)
def test_the_pair_accepts_exactly_get_amount_out(amount_in, r0, r1):
    out = get_amount_out(amount_in, r0, r1)
    if out == 0 or out >= r1:
        return
    b0, b1 = r0 + amount_in, r1 - out
    assert check_k(b0, b1, amount_in, 0, r0, r1) == ref_k_ok(b0, b1, amount_in, 0, r0, r1) is True
    # one wei more out breaks K: get_amount_out is the maximum the pair pays
    assert ref_k_ok(b0, b1 - 1, amount_in, 0, r0, r1) is False
    with pytest.raises(KInvariantViolated, match=str(b1 - 1)):
        check_k(b0, b1 - 1, amount_in, 0, r0, r1)


def test_other_fees_use_the_bps_form():
    # PancakeSwap V2 (25 bps): 9975/10000
    assert get_amount_out(10**18, 10**21, 2 * 10**21, 25) == 10**18 * 9975 * 2 * 10**21 // (
        10**21 * 10_000 + 10**18 * 9975
    )
    assert get_amount_out(1000, 10**6, 10**6, 0) == 1000 * 10**6 // (10**6 + 1000)


def test_reverts_like_the_library():
    with pytest.raises(InsufficientInputAmount, match="0"):
        get_amount_out(0, 10, 10)
    with pytest.raises(InsufficientLiquidity):
        get_amount_out(1, 0, 10)
    with pytest.raises(InsufficientLiquidity):
        get_amount_out(1, 10, 0)
    with pytest.raises(InsufficientOutputAmount):
        get_amount_in(0, 10, 10)
    with pytest.raises(InsufficientLiquidity, match="reserve_out 10"):
        get_amount_in(10, 10, 10)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(reserves, reserves), min_size=1, max_size=4), amounts)
def test_paths_chain_hop_by_hop(pools, amount_in):
    hops = [(a, b, 30) for a, b in pools]
    try:
        out = get_amounts_out(amount_in, hops)
    except InsufficientInputAmount:
        return  # an intermediate amount rounded to 0: the router reverts too
    expected = [amount_in]
    for a, b in pools:
        expected.append(ref_amount_out(expected[-1], a, b))
    assert out == expected
    try:
        back = get_amounts_in(out[-1], hops)
    except (InsufficientLiquidity, InsufficientOutputAmount):
        return
    assert back[-1] == out[-1]
    assert get_amounts_out(back[0], hops)[-1] >= out[-1]
