"""Validators of values inside results, symbol decoding and the header history."""

from __future__ import annotations

import contextlib

import pytest
from eth_abi import encode
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.chain.discovery import decode_symbol
from appliance.chain.errors import ChainDataError, MalformedResponse
from appliance.chain.heads import HeadHistory, poll_interval
from appliance.chain.reserves import decode_reserves
from appliance.chain.values import (
    block_from_json,
    block_param,
    block_ref,
    log_from_json,
    to_quantity,
)
from appliance.events import BlockSeen

H, M = "node:1", "eth_getBlockByNumber"
HASH = "0x" + "ab" * 32
BLOCK = {
    "number": "0x10",
    "hash": HASH,
    "parentHash": "0x" + "cd" * 32,
    "timestamp": "0x5",
    "baseFeePerGas": "0x7",
}
LOG = {
    "address": "0x" + "11" * 20,
    "topics": [HASH],
    "data": "0x" + "00" * 64,
    "blockNumber": "0x1",
    "blockHash": HASH,
    "logIndex": "0x0",
    "transactionHash": HASH,
    "removed": False,
}


def test_block_is_validated_and_typed():
    block = block_from_json(H, M, BLOCK)
    assert block == BlockSeen(16, HASH, "0x" + "cd" * 32, 5, 7)
    assert block_from_json(H, M, {**BLOCK, "baseFeePerGas": None}).base_fee is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("number", 16),
        ("number", "0x"),
        ("number", "0xg"),
        ("hash", "0x12"),
        ("parentHash", None),
        ("timestamp", "5"),
    ],
)
def test_bad_block_fields_are_malformed(key, value):
    with pytest.raises(MalformedResponse, match=key.lower()[:4]):
        block_from_json(H, M, {**BLOCK, key: value})


def test_quantities_are_exact_and_bounded():
    assert to_quantity(H, M, "0x" + "f" * 64) == 2**256 - 1
    assert to_quantity(H, M, "0x00ff") == 255  # leading zeros tolerated
    with pytest.raises(MalformedResponse):
        to_quantity(H, M, "0x1" + "0" * 64)  # beyond 256 bits
    with pytest.raises(MalformedResponse):
        to_quantity(H, M, 1.5)


def test_block_params():
    assert block_param(255) == "0xff"
    assert block_param("latest") == "latest"
    assert block_ref(HASH) == {"blockHash": HASH}
    for bad in (-1, True, "newest"):
        with pytest.raises((ValueError, TypeError)):
            block_param(bad)


def test_log_is_validated_and_checksummed():
    log = log_from_json(H, "eth_getLogs", LOG)
    assert log.address == "0x" + "11" * 20 and log.data == bytes(64) and log.topics == (HASH,)
    with pytest.raises(MalformedResponse, match="topics"):
        log_from_json(H, "eth_getLogs", {**LOG, "topics": [HASH] * 5})
    with pytest.raises(MalformedResponse, match="removed"):
        log_from_json(H, "eth_getLogs", {**LOG, "removed": "no"})


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=70)
    | st.sampled_from(["0x0", HASH, "0x" + "11" * 20]),
    lambda c: st.lists(c, max_size=5) | st.dictionaries(st.text(max_size=10), c, max_size=5),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={k: _json for k in BLOCK}) | _json)
def test_any_block_answer_is_a_block_or_malformed(value):
    with contextlib.suppress(MalformedResponse):
        assert isinstance(block_from_json(H, M, value), BlockSeen)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={k: _json for k in LOG}) | _json)
def test_any_log_answer_is_a_log_or_malformed(value):
    with contextlib.suppress(MalformedResponse):
        log_from_json(H, "eth_getLogs", value)


def test_reserves_decoding():
    assert decode_reserves(encode(["uint112", "uint112", "uint32"], [5, 7, 9])) == (5, 7)
    assert decode_reserves(encode(["uint112", "uint112"], [5, 7])) == (5, 7)
    with pytest.raises(ChainDataError, match="32 bytes"):
        decode_reserves(bytes(32))
    with pytest.raises(ChainDataError, match="uint112"):
        decode_reserves(encode(["uint256", "uint256"], [2**112, 1]))


def test_symbols_in_every_shape():
    addr = "0xAbCdEf0000000000000000000000000000000000"
    assert decode_symbol(encode(["string"], ["WETH"]), addr) == "WETH"
    assert decode_symbol(b"MKR".ljust(32, b"\0"), addr) == "MKR"  # bytes32 symbol
    assert decode_symbol(b"", addr) == "?AbCdEf"  # reverted or empty
    assert decode_symbol(bytes(32), addr) == "?AbCdEf"
    assert decode_symbol(encode(["string"], ["\x00\x01"]), addr) == "?AbCdEf"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_symbol_data_gives_text(data):
    assert isinstance(decode_symbol(data, "0x" + "11" * 20), str)


def _chain(n: int, start: int = 0) -> list[BlockSeen]:
    blocks, parent = [], "0x" + "00" * 32
    for i in range(start, start + n):
        h = "0x" + f"{i:064x}"
        blocks.append(BlockSeen(i, h, parent, i, None))
        parent = h
    return blocks


def test_history_keeps_the_last_headers_and_refuses_unlinked_ones():
    history = HeadHistory(size=64)
    for block in _chain(100):
        history.push(block)
    assert len(history) == 64 and history.oldest == 36 and history.head.number == 99
    with pytest.raises(ValueError, match="does not extend"):
        history.push(BlockSeen(100, HASH, HASH, 0, None))
    history.truncate_above(90)
    assert history.head.number == 90


def test_poll_interval_follows_block_time():
    assert poll_interval(12.0) == 2.0
    assert poll_interval(1.0) == 0.25
    assert poll_interval(0.05) == 0.02
