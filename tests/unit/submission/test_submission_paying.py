"""The coinbase entry point's calldata equals eth-abi's encoding of the artifact's ABI; the
journal's submission reason round-trips; a relay without eth_callBundle is not a failing relay."""

from __future__ import annotations

import json

import httpx
import trio
from eth_abi import encode
from eth_utils import keccak

from appliance.events import Candidate, Leg
from appliance.execution.artifact import load_artifact
from appliance.execution.bundles import submission_of, submission_reason
from appliance.execution.calldata import HOP_TYPE, hops_of
from appliance.execution.paying import encode_execute_paying
from appliance.safety import SafetyLatch
from appliance.submission.identity import SearcherIdentity
from appliance.submission.relay import RelayClient, RelaySet

A, B, C = ("0x" + c * 40 for c in "abc")
CAND = Candidate(
    block=10,
    legs=(
        Leg(pool="0x" + "1" * 40, token_in=A, token_out=B, fee_bps=30),
        Leg(pool="0x" + "2" * 40, token_in=B, token_out=A, fee_bps=25),
    ),
    base_token=A,
    amount_in=10**18,
    amount_out=10**18 + 12345,
    gas_estimate=200_000,
    gas_cost=1,
)


def test_execute_paying_calldata_matches_eth_abi_and_the_artifact():
    (entry,) = [e for e in load_artifact().abi if e.get("name") == "execute_paying"]
    names = [p["name"] for p in entry["inputs"]]
    assert names == ["base", "amount_in", "min_profit", "hops", "flash", "deadline", "coinbase_wei"]
    signature = f"execute_paying(address,uint256,uint256,{HOP_TYPE}[],bool,uint256,uint256)"
    data = encode_execute_paying(CAND, min_profit=1, flash=True, deadline=99, coinbase_wei=777)
    expected = keccak(text=signature)[:4] + encode(
        ["address", "uint256", "uint256", f"{HOP_TYPE}[]", "bool", "uint256", "uint256"],
        [A, CAND.amount_in, 1, hops_of(CAND), True, 99, 777],
    )
    assert data == expected


def test_the_submission_reason_round_trips():
    assert submission_of(submission_reason("bundle", 123, 456)) == ("bundle", 123, 456)
    assert submission_of(submission_reason("private", 7)) == ("private", 7, 0)
    assert submission_of("") is None and submission_of("replaced: fees bumped") is None


async def test_a_relay_without_call_bundle_is_remembered_not_counted_as_failing(tmp_path):
    def answer(request: httpx.Request) -> httpx.Response:
        doc = json.loads(request.content)
        if doc["method"] == "eth_callBundle":
            error = {"code": -32601, "message": "the method eth_callBundle does not exist"}
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": doc["id"], "error": error})
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": doc["id"], "result": {}})

    identity = SearcherIdentity("0x" + keccak(text="arb-appliance test: paying").hex())
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        relay = RelayClient("http://relay.test", identity, http=http)
        relays = RelaySet([relay], latch=SafetyLatch(tmp_path), skip_after=1)
        assert await relays.call_bundle([b"\x01"], 5, 4) == {"relay.test": None}
        assert relay.offers_call_bundle is False and relay.health.consecutive == 0
        assert await relays.call_bundle([b"\x01"], 5, 4) == {}  # not asked again
        assert relays.available() == [relay]
        await trio.lowlevel.checkpoint()
