"""The gas limit derived from the executor's own measure: each term an upper bound, the cap last."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from appliance.execution.gaslimit import (
    BLOCK_STATE_GAS,
    CALL_DEPTH,
    ENTRY_GAS,
    NEW_ACCOUNT_GAS,
    gas_limit,
    gas_used,
    intrinsic_gas,
)

V2, V3 = "uniswap_v2", "uniswap_v3"


def test_intrinsic_gas_counts_zero_and_non_zero_calldata_bytes():
    assert intrinsic_gas(b"") == 21_000
    assert intrinsic_gas(bytes([0, 0, 1, 255])) == 21_000 + 2 * 4 + 2 * 16


def test_gas_used_is_intrinsic_entry_and_the_measure():
    data = bytes(range(8))
    assert gas_used(data, 100_000) == intrinsic_gas(data) + ENTRY_GAS + 100_000


@given(
    data=st.binary(max_size=900),
    measured=st.integers(0, 5_000_000),
    kinds=st.lists(st.sampled_from([V2, V3]), min_size=2, max_size=4),
)
def test_the_limit_covers_every_nested_frame_and_the_block_state(data, measured, kinds):
    """Uncapped: at least (64/63)^CALL_DEPTH times the measured span (every frame's 63/64
    share), plus each leg's oracle writes, plus the intrinsic gas; never below gas_used."""
    limit = gas_limit(data, measured, kinds, 30_000_000)
    span = (ENTRY_GAS + measured) * 64**CALL_DEPTH / 63**CALL_DEPTH
    state = sum(BLOCK_STATE_GAS[k] for k in kinds)
    assert limit >= intrinsic_gas(data) + span + state
    assert limit > gas_used(data, measured)
    assert gas_limit(data, measured + 1, kinds, 30_000_000) >= limit  # monotone in the measure


def test_a_coinbase_payment_may_create_the_builder_account():
    data = b"\x01" * 100
    plain = gas_limit(data, 200_000, [V2, V2], 30_000_000)
    paying = gas_limit(data, 200_000, [V2, V2], 30_000_000, pays_coinbase=True)
    assert paying == plain + NEW_ACCOUNT_GAS


def test_the_cap_is_the_last_word():
    data = b"\x01" * 100
    assert gas_limit(data, 2_000_000, [V3] * 4, 1_000_000) == 1_000_000
    assert gas_limit(data, 100_000, [V2, V2], 1_000_000) < 1_000_000
