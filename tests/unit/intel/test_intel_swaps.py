"""Decoding V2 ``Swap`` logs: direction from the pool's net flows, malformed entries rejected."""

from __future__ import annotations

import pytest

from appliance.events import PoolInfo
from appliance.intel import SWAP_V2_TOPIC, MalformedLog, decode_v2_swap

T0 = "0x" + "A" * 40
T1 = "0x" + "B" * 40
POOL = PoolInfo("0x" + "1" * 40, "uniswap", T0.lower(), T1.lower(), 30)
ROUTER = "0x7a250d5630b4cf539739df2c5dacb4c659f2488d"
WALLET = "0x" + "c" * 40


def log(a0_in=0, a1_in=0, a0_out=0, a1_out=0, **over):
    entry = {
        "address": POOL.address,
        "topics": [SWAP_V2_TOPIC, "0x" + "0" * 24 + ROUTER[2:], "0x" + "0" * 24 + WALLET[2:]],
        "data": "0x" + "".join(f"{v:064x}" for v in (a0_in, a1_in, a0_out, a1_out)),
        "blockNumber": "0x10",
        "transactionIndex": "0x2",
        "logIndex": "0x5",
        "transactionHash": "0x" + "ab" * 32,
    }
    entry.update(over)
    return entry


def test_token0_in_token1_out():
    s = decode_v2_swap(log(a0_in=1000, a1_out=1990), POOL)
    assert (s.token_in, s.token_out, s.amount_in, s.amount_out) == (
        T0.lower(),
        T1.lower(),
        1000,
        1990,
    )
    assert (s.block, s.tx_index, s.log_index) == (16, 2, 5)
    assert s.sender.lower() == ROUTER and s.recipient.lower() == WALLET


def test_flash_swap_repaid_in_the_other_token_has_the_net_direction():
    s = decode_v2_swap(log(a0_out=500, a1_in=1003), POOL)
    assert (s.token_in, s.amount_in, s.amount_out) == (T1.lower(), 1003, 500)


def test_same_token_flash_loan_is_not_a_swap():
    assert decode_v2_swap(log(a0_in=1003, a0_out=1000), POOL) is None


@pytest.mark.parametrize(
    "over",
    [
        {"data": "0x1234"},
        {"topics": [SWAP_V2_TOPIC]},
        {"topics": ["0x" + "0" * 64] * 3},
        {"blockNumber": 16},
        {"logIndex": "five"},
        {"transactionHash": "0x12"},
        {"data": "0x" + "zz" * 128},
    ],
)
def test_malformed_entries_are_rejected_with_a_reason(over):
    with pytest.raises(MalformedLog):
        decode_v2_swap(log(a0_in=1, a1_out=1, **over), POOL)
