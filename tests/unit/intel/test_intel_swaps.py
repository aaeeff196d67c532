"""Decoding V2 ``Swap`` logs: direction from the pool's net flows, malformed entries rejected."""

from __future__ import annotations

import pytest

from appliance.chain.errors import MalformedResponse
from appliance.chain.values import log_from_json
from appliance.events import PoolInfo
from appliance.intel import SWAP_V2_TOPIC, MalformedLog, decode_v2_swap

T0 = "0x" + "A" * 40
T1 = "0x" + "B" * 40
POOL = PoolInfo("0x" + "1" * 40, "uniswap", T0.lower(), T1.lower(), 30)
ROUTER = "0x7a250d5630b4cf539739df2c5dacb4c659f2488d"
WALLET = "0x" + "c" * 40


def entry(a0_in=0, a1_in=0, a0_out=0, a1_out=0, **over):
    raw = {
        "address": POOL.address,
        "topics": [SWAP_V2_TOPIC, "0x" + "0" * 24 + ROUTER[2:], "0x" + "0" * 24 + WALLET[2:]],
        "data": "0x" + "".join(f"{v:064x}" for v in (a0_in, a1_in, a0_out, a1_out)),
        "blockNumber": "0x10",
        "blockHash": "0x" + "cd" * 32,
        "logIndex": "0x5",
        "transactionHash": "0x" + "ab" * 32,
    }
    raw.update(over)
    return raw


def decode(raw):
    return decode_v2_swap(log_from_json("node", "eth_getLogs", raw), POOL)


def test_token0_in_token1_out():
    s = decode(entry(a0_in=1000, a1_out=1990))
    assert (s.token_in, s.token_out, s.amount_in, s.amount_out) == (
        T0.lower(),
        T1.lower(),
        1000,
        1990,
    )
    assert (s.block, s.log_index, s.tx_hash) == (16, 5, "0x" + "ab" * 32)
    assert s.sender.lower() == ROUTER and s.recipient.lower() == WALLET


def test_flash_swap_repaid_in_the_other_token_has_the_net_direction():
    s = decode(entry(a0_out=500, a1_in=1003))
    assert (s.token_in, s.amount_in, s.amount_out) == (T1.lower(), 1003, 500)


def test_same_token_flash_loan_is_not_a_swap():
    assert decode(entry(a0_in=1003, a0_out=1000)) is None


@pytest.mark.parametrize(
    "over",
    [
        {"data": "0x1234"},
        {"topics": [SWAP_V2_TOPIC]},
        {"topics": ["0x" + "0" * 64] * 3},
    ],
)
def test_entries_not_shaped_like_a_swap_are_rejected_with_the_pool(over):
    with pytest.raises(MalformedLog, match=POOL.address):
        decode(entry(a0_in=1, a1_out=1, **over))


@pytest.mark.parametrize(
    "over",
    [{"blockNumber": 16}, {"logIndex": "five"}, {"transactionHash": "0x12"}, {"data": "0xzz"}],
)
def test_malformed_json_never_reaches_the_decoder(over):
    with pytest.raises(MalformedResponse):
        decode(entry(a0_in=1, a1_out=1, **over))
