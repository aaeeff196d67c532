"""The answer parser: typed values or typed errors for anything the wire can bring."""

from __future__ import annotations

import json

import pytest
from eth_abi import encode
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.chain.errors import (
    ExecutionReverted,
    InvalidParams,
    MalformedResponse,
    MethodNotFound,
    RateLimited,
    RpcCallError,
    RpcError,
)
from appliance.chain.wire import decode_revert_reason, parse_batch, parse_single

H = "node.example:8545"


def ok(rid, result):
    return json.dumps({"jsonrpc": "2.0", "id": rid, "result": result}).encode()


def err(rid, code, message, data=None):
    e = {"code": code, "message": message}
    if data is not None:
        e["data"] = data
    return json.dumps({"jsonrpc": "2.0", "id": rid, "error": e}).encode()


def test_single_result_is_returned():
    assert parse_single(H, "eth_blockNumber", ok(7, "0x10"), 7) == "0x10"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not JSON"),
        (b"[]", "not an object"),
        (json.dumps({"jsonrpc": "1.0", "id": 1, "result": 1}).encode(), "jsonrpc"),
        (json.dumps({"jsonrpc": "2.0", "id": 2, "result": 1}).encode(), "does not match"),
        (json.dumps({"jsonrpc": "2.0", "id": True, "result": 1}).encode(), "does not match"),
        (json.dumps({"jsonrpc": "2.0", "id": "1", "result": 1}).encode(), "does not match"),
        (json.dumps({"jsonrpc": "2.0", "id": 1}).encode(), "exactly one"),
        (json.dumps({"jsonrpc": "2.0", "id": 1, "result": 1, "error": {}}).encode(), "exactly one"),
        (b'{"jsonrpc": "2.0", "id": 1, "resu', "not JSON"),  # truncated body
    ],
)
def test_malformed_single_answers(body, fragment):
    with pytest.raises(MalformedResponse, match=fragment) as info:
        parse_single(H, "eth_call", body, 1)
    assert info.value.host == H and info.value.method == "eth_call"


def test_error_codes_map_to_types():
    with pytest.raises(MethodNotFound):
        parse_single(H, "x", err(1, -32601, "Method not found"), 1)
    with pytest.raises(InvalidParams):
        parse_single(H, "x", err(1, -32602, "bad"), 1)
    with pytest.raises(RateLimited):
        parse_single(H, "x", err(1, -32005, "limit exceeded"), 1)
    with pytest.raises(RpcCallError) as info:
        parse_single(H, "x", err(1, -32000, "header not found"), 1)
    assert type(info.value) is RpcCallError and info.value.retryable and info.value.code == -32000


def test_error_with_null_id_is_still_typed():
    body = json.dumps(
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32005, "message": "rate"}}
    ).encode()
    with pytest.raises(RateLimited):
        parse_single(H, "eth_call", body, 5)


def test_revert_reason_error_string_is_decoded():
    data = "0x08c379a0" + encode(["string"], ["UniswapV2: K"]).hex()
    with pytest.raises(ExecutionReverted) as info:
        parse_single(H, "eth_call", err(1, 3, "execution reverted: UniswapV2: K", data), 1)
    assert info.value.reason == "UniswapV2: K"
    assert not info.value.retryable
    assert "UniswapV2: K" in str(info.value)


def test_revert_reason_panic_is_decoded():
    data = "0x4e487b71" + encode(["uint256"], [0x11]).hex()
    assert decode_revert_reason(data) == "Panic(0x11)"
    with pytest.raises(ExecutionReverted) as info:
        parse_single(H, "eth_call", err(1, -32000, "execution reverted", data), 1)
    assert info.value.reason == "Panic(0x11)"


def test_revert_reason_garbage_is_tolerated():
    assert decode_revert_reason("0x08c379a0ffff").startswith("Error(undecodable")
    assert decode_revert_reason("0xzz") == ""
    assert decode_revert_reason(None) == ""
    assert decode_revert_reason("0xdeadbeef").startswith("custom error")


def test_batch_in_request_order_with_item_errors():
    body = json.dumps(
        [
            {"jsonrpc": "2.0", "id": 11, "error": {"code": -32601, "message": "nope"}},
            {"jsonrpc": "2.0", "id": 10, "result": "0x1"},
        ]
    ).encode()
    out = parse_batch(H, ["a", "b"], body, [10, 11])
    assert out[0] == "0x1"
    assert isinstance(out[1], MethodNotFound) and out[1].method == "b"


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        ([{"jsonrpc": "2.0", "id": 10, "result": 1}], "unanswered"),
        ([{"jsonrpc": "2.0", "id": 10, "result": 1}] * 2, "twice"),
        (
            [{"jsonrpc": "2.0", "id": 10, "result": 1}, {"jsonrpc": "2.0", "id": 99, "result": 1}],
            "not requested",
        ),
        ([1, 2], "not an object"),
        ({"jsonrpc": "2.0", "id": 10, "result": 1}, "single result"),
        ("x", "not a list"),
    ],
)
def test_batch_structural_faults_reject_the_whole_batch(items, fragment):
    with pytest.raises(MalformedResponse, match=fragment):
        parse_batch(H, ["a", "b"], json.dumps(items).encode(), [10, 11])


def test_batch_rejected_as_a_whole_is_typed():
    body = json.dumps(
        {"jsonrpc": "2.0", "id": None, "error": {"code": 429, "message": "Too Many Requests"}}
    )
    with pytest.raises(RateLimited):
        parse_batch(H, ["a"], body.encode(), [1])


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_envelope = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.sampled_from(["2.0", "1.0", 2]),
        "id": st.sampled_from([1, 2, None, "1", True]),
        "result": _json,
        "error": st.fixed_dictionaries(
            {},
            optional={
                "code": st.integers(-33000, 10) | _json,
                "message": st.text(max_size=30) | _json,
                "data": _json,
            },
        )
        | _json,
    },
)
_bodies = (
    st.binary(max_size=200)
    | _json.map(lambda v: json.dumps(v).encode())
    | _envelope.map(lambda v: json.dumps(v).encode())
    | st.lists(_envelope, max_size=4).map(lambda v: json.dumps(v).encode())
)


@settings(max_examples=400, deadline=None)
@given(_bodies)
def test_any_single_answer_is_a_value_or_a_typed_error(body):
    try:
        parse_single(H, "eth_call", body, 1)
    except RpcError as exc:
        assert H in str(exc)


@settings(max_examples=400, deadline=None)
@given(_bodies)
def test_any_batch_answer_is_values_or_a_typed_error(body):
    try:
        out = parse_batch(H, ["a", "b"], body, [1, 2])
    except RpcError:
        return
    assert len(out) == 2


_selectors = st.sampled_from([b"\x08\xc3\x79\xa0", b"\x4e\x48\x7b\x71", b""])


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=300)
    | st.tuples(_selectors, st.binary(max_size=200)).map(lambda t: "0x" + (t[0] + t[1]).hex())
    | _json
)
def test_any_revert_data_decodes_to_text(data):
    assert isinstance(decode_revert_reason(data), str)
