"""Gas bidding: a share of the expected profit, capped; replacements +10 % or not at all."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.submission.bidding import bid_for, replacement_bid

GWEI = 10**9


def _bid(gross_profit_wei: int, **over):
    """bid_for on a 200k-gas trade at a 10 gwei base fee, half the net bid, 1 gwei minimum tip,
    a 500 gwei cap, but for ``over``."""
    args = {
        "gas_estimate": 200_000,
        "base_fee": 10 * GWEI,
        "share": Fraction(1, 2),
        "min_tip": GWEI,
        "max_fee": 500 * GWEI,
    }
    return bid_for(gross_profit_wei=gross_profit_wei, **{**args, **over})


def test_half_the_profit_goes_to_the_tip():
    bid = _bid(10**16)
    net_at_base = 10**16 - 200_000 * 10 * GWEI
    assert bid.priority_fee_per_gas == net_at_base // 2 // 200_000
    assert bid.expected_net_after_bid == 10**16 - 200_000 * (10 * GWEI + bid.priority_fee_per_gas)
    assert bid.expected_net_after_bid > 0


def test_the_cap_and_the_minimum_bound_the_tip():
    capped = _bid(10**20, share=Fraction(9, 10), max_fee=50 * GWEI)
    assert capped.priority_fee_per_gas == 40 * GWEI
    assert _bid(200_000 * 10 * GWEI, max_fee=50 * GWEI) is None  # no net left at the base fee
    assert _bid(10**18, base_fee=60 * GWEI, max_fee=50 * GWEI) is None  # base fee over the cap


@given(
    gross=st.integers(0, 10**20),
    gas=st.integers(21_000, 2_000_000),
    base=st.integers(0, 300 * GWEI),
    share=st.fractions(0, 1),
    cap=st.integers(GWEI, 1000 * GWEI),
)
def test_a_bid_never_loses_money_nor_exceeds_the_cap(gross, gas, base, share, cap):
    bid = _bid(gross, gas_estimate=gas, base_fee=base, share=share, max_fee=cap)
    if bid is not None:
        assert bid.expected_net_after_bid > 0
        assert GWEI <= bid.priority_fee_per_gas <= cap - base


def test_a_replacement_raises_both_fees_by_ten_percent_or_is_not_sent():
    bid = _bid(10**17)
    again = replacement_bid(bid, max_fee=500 * GWEI)
    assert again.priority_fee_per_gas * 10 >= bid.priority_fee_per_gas * 11
    assert again.max_fee_per_gas * 10 >= bid.max_fee_per_gas * 11
    assert replacement_bid(bid, max_fee=bid.max_fee_per_gas) is None


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        _bid(1, gas_estimate=0, base_fee=1, min_tip=1, max_fee=10)
