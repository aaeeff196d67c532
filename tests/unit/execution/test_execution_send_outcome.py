"""What a failed send means over several endpoints (the pool's NoHealthyEndpoint carries each
endpoint's error, the chain package's own types): a node that knows the transaction settles it,
one that gave no usable answer leaves the outcome unknown, only refusals everywhere refuse."""

from __future__ import annotations

from appliance.chain.errors import NoHealthyEndpoint, RpcCallError, RpcTimeout
from appliance.execution.rpc import SendOutcome, classify_send_error

SEND = "eth_sendRawTransaction"


def _refusal(host: str, message: str) -> RpcCallError:
    return RpcCallError(host, SEND, -32000, message)


def test_refused_everywhere_is_refused_with_the_kind():
    exc = NoHealthyEndpoint(SEND, (_refusal("a:1", "insufficient funds for gas * price"),) * 2)
    refusal = classify_send_error(exc)
    assert (refusal.outcome, refusal.kind) == (SendOutcome.REFUSED, "insufficient_funds")


def test_a_timeout_anywhere_leaves_the_outcome_unknown():
    exc = NoHealthyEndpoint(
        SEND, (RpcTimeout("a:1", SEND, "2 s"), _refusal("b:1", "nonce too low"))
    )
    assert classify_send_error(exc).outcome is SendOutcome.UNKNOWN


def test_a_node_that_already_knows_it_settles_it():
    exc = NoHealthyEndpoint(
        SEND, (RpcTimeout("a:1", SEND, "2 s"), _refusal("b:1", "already known"))
    )
    assert classify_send_error(exc).outcome is SendOutcome.KNOWN


def test_no_endpoint_at_all_is_unknown():
    assert classify_send_error(NoHealthyEndpoint(SEND)).outcome is SendOutcome.UNKNOWN


def test_an_unlisted_error_object_is_still_a_refusal():
    refusal = classify_send_error(_refusal("a:1", "tx fee exceeds the configured cap"))
    assert (refusal.outcome, refusal.kind) == (SendOutcome.REFUSED, "refused")
