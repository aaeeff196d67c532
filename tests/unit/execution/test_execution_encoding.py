"""Calldata, revert decoding, fees and the nonce manager."""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.config import ExecutionConfig
from appliance.events import Candidate, Leg
from appliance.execution.calldata import (
    EXECUTE_SELECTOR,
    HOP_TYPE,
    decode_revert,
    encode_execute,
    hops_of,
)
from appliance.execution.fees import Fees, bump, gwei, initial_fees
from appliance.execution.nonce import NonceManager

A = "0x1111111111111111111111111111111111111111"
B = "0x2222222222222222222222222222222222222222"
P1 = "0x00000000000000000000000000000000000000AA"
P2 = "0x00000000000000000000000000000000000000bB"


def _cand(legs=None, base=A):
    legs = legs or (Leg(P1, A, B, 30), Leg(P2, B, A, 25))
    return Candidate(
        block=1,
        legs=legs,
        base_token=base,
        amount_in=10**18,
        amount_out=11 * 10**17,
        gas_estimate=1,
        gas_cost=1,
    )


def test_hops_direction_follows_token_order():
    hops = hops_of(_cand())
    assert hops == [
        (to_checksum_address(P1), 0, True, 30, to_checksum_address(B)),
        (to_checksum_address(P2), 0, False, 25, to_checksum_address(A)),
    ]


def test_hops_carry_the_pool_kind_per_leg():
    legs = (Leg(P1, A, B, 5, kind="uniswap_v3"), Leg(P2, B, A, 30))
    assert [h[1] for h in hops_of(_cand(legs))] == [1, 0]
    assert [h[3] for h in hops_of(_cand(legs))] == [5, 30]


@pytest.mark.parametrize(
    "bad", [Leg(P2, B, A, 30, kind="curve"), Leg(P2, B, A, 10_000), Leg(P2, B, A, -1)]
)
def test_legs_the_executor_cannot_trade_are_refused(bad):
    with pytest.raises(ValueError, match=P2):
        hops_of(_cand((Leg(P1, A, B, 30), bad)))


def test_execute_calldata_roundtrips():
    data = encode_execute(_cand(), min_profit=7, flash=True, deadline=99)
    assert data[:4] == EXECUTE_SELECTOR
    base, amount, min_profit, hops, flash, deadline = decode(
        ["address", "uint256", "uint256", f"{HOP_TYPE}[]", "bool", "uint256"], data[4:]
    )
    assert (base, amount, min_profit, flash, deadline) == (A, 10**18, 7, True, 99)
    assert [h[1:4] for h in hops] == [(0, True, 30), (0, False, 25)]
    assert [to_checksum_address(h[4]) for h in hops] == [B, A]


@pytest.mark.parametrize(
    "legs",
    [
        (Leg(P1, A, B, 30),),  # one leg
        (Leg(P1, B, A, 30), Leg(P2, A, B, 30)),  # does not start in base
    ],
)
def test_bad_cycles_are_refused(legs):
    with pytest.raises(ValueError):
        hops_of(_cand(legs))


def test_decode_revert():
    err = "0x08c379a0" + encode(["string"], ["executor: profit below minimum"]).hex()
    assert decode_revert(err) == "executor: profit below minimum"
    assert decode_revert({"data": err}) == "executor: profit below minimum"
    assert decode_revert("0x4e487b71" + encode(["uint256"], [0x11]).hex()) == "panic 0x11"
    assert decode_revert("0x") == "reverted (no reason)"
    assert decode_revert(None) == "reverted (no reason)"
    assert decode_revert("0xdeadbeef").startswith("reverted (data 0xdeadbeef")


def test_fees_eip1559_and_legacy():
    ex = ExecutionConfig(max_fee_gwei=100.0, tip_gwei=1.5)
    f = initial_fees(ex, base_fee=gwei(10))
    assert (f.max_fee, f.tip, f.legacy) == (gwei(21.5), gwei(1.5), False)
    assert f.fields() == {"maxFeePerGas": gwei(21.5), "maxPriorityFeePerGas": gwei(1.5)}
    capped = initial_fees(ex, base_fee=gwei(80))
    assert capped.max_fee == gwei(100)
    legacy = initial_fees(ex, base_fee=None, node_gas_price=gwei(7))
    assert legacy.fields() == {"gasPrice": gwei(7)} and legacy.legacy
    assert initial_fees(ex, base_fee=None, node_gas_price=gwei(700)).gas_price == gwei(100)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**12), st.integers(0, 10**12))
def test_bump_replaces_by_at_least_ten_percent_within_the_cap(max_fee, tip):
    ex = ExecutionConfig(max_fee_gwei=1000.0, tip_gwei=1.0)
    tip = min(tip, max_fee)
    new = bump(Fees(max_fee=max_fee, tip=tip), ex)
    if new is None:
        assert max_fee + max(1, -(-max_fee * 15 // 100)) > gwei(1000)  # refused only above the cap
        return
    assert new.max_fee * 10 >= max_fee * 11 and new.max_fee <= gwei(1000)
    assert new.tip * 10 >= tip * 11 or new.tip == new.max_fee
    legacy = bump(Fees(gas_price=max_fee), ex)
    assert legacy is None or legacy.gas_price * 10 >= max_fee * 11


def test_nonce_manager():
    n = NonceManager(5)
    assert (n.take(), n.take(), n.next) == (5, 6, 7)
    assert not n.release(5)  # would leave a gap behind 6
    assert n.release(6) and n.next == 6
    with pytest.raises(ValueError):
        NonceManager(-1)


@settings(max_examples=100, deadline=None)
@given(
    amount=st.integers(0, 2**256 - 1),
    min_profit=st.integers(0, 2**256 - 1),
    flash=st.booleans(),
    deadline=st.integers(1, 2**64),
    fees=st.lists(st.integers(0, 9999), min_size=2, max_size=4),
    kinds=st.lists(st.sampled_from(["uniswap_v2", "uniswap_v3"]), min_size=4, max_size=4),
)
def test_hand_encoded_calldata_equals_eth_abi(amount, min_profit, flash, deadline, fees, kinds):
    pools = [f"0x{i + 1:040x}" for i in range(len(fees))]
    path = [A, *[f"0x{0x99 + i:040x}" for i in range(len(fees) - 1)]]
    legs = tuple(
        Leg(pools[i], path[i], path[(i + 1) % len(path)], fees[i], kind=kinds[i])
        for i in range(len(fees))
    )
    cand = Candidate(
        block=1, legs=legs, base_token=A, amount_in=amount, amount_out=0, gas_estimate=1, gas_cost=1
    )
    expected = EXECUTE_SELECTOR + encode(
        ["address", "uint256", "uint256", f"{HOP_TYPE}[]", "bool", "uint256"],
        [A, amount, min_profit, hops_of(cand), flash, deadline],
    )
    assert encode_execute(cand, min_profit=min_profit, flash=flash, deadline=deadline) == expected


@pytest.mark.parametrize("deadline", [0, -1, 2**256])
def test_every_trade_needs_a_deadline_block(deadline):
    with pytest.raises(ValueError, match="deadline"):
        encode_execute(_cand(), min_profit=1, flash=False, deadline=deadline)


def test_execute_selector_is_the_compiled_contracts():
    """The hand-written signature is the one the committed artifact's ABI declares."""
    from appliance.execution.artifact import load_artifact

    def canonical(param: dict) -> str:
        if param["type"].startswith("tuple"):
            inner = ",".join(canonical(c) for c in param["components"])
            return f"({inner}){param['type'].removeprefix('tuple')}"
        return param["type"]

    (execute,) = [e for e in load_artifact().abi if e.get("name") == "execute"]
    sig = f"execute({','.join(canonical(i) for i in execute['inputs'])})"
    assert sig == f"execute(address,uint256,uint256,{HOP_TYPE}[],bool,uint256)"
    from eth_utils import keccak

    assert keccak(text=sig)[:4] == EXECUTE_SELECTOR
