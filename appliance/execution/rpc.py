"""How execution reaches the chain: the chain package's one typed JSON-RPC layer (:class:`RpcPool`),
and what a node's error means for a send.

Execution calls the pool's typed methods (``get_block``, ``eth_call``, ``estimate_gas``,
``send_raw_transaction``, ``get_transaction_receipt``, ...), whose answers the chain package
validates: a malformed answer is an :class:`~appliance.chain.errors.RpcError`, never a crash. A
single endpoint (the private relay, ``deploy-executor``) is a one-endpoint pool without hedging.

A refused send is not an unknown outcome. :func:`classify_send_error` reads the node's error
(directly, or inside :class:`~appliance.chain.errors.NoHealthyEndpoint` when the pool tried every
endpoint) and names the refusal; only transport failures leave the outcome unknown.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from appliance.chain.errors import ChainError, NoHealthyEndpoint, RpcCallError
from appliance.chain.pool import RpcPool
from appliance.chain.rpc import RpcClient

__all__ = ["Refusal", "SendOutcome", "as_pool", "call_error", "classify_send_error"]


def as_pool(rpc: RpcPool | RpcClient) -> RpcPool:
    """``rpc`` itself, or a one-endpoint pool over a single client (no hedging: one at a time)."""
    if isinstance(rpc, RpcPool):
        return rpc
    if isinstance(rpc, RpcClient):
        return RpcPool([rpc], hedge=False)
    raise TypeError(f"need an RpcPool or an RpcClient, not {type(rpc).__name__}")


def call_error(exc: BaseException) -> RpcCallError | None:
    """The node's JSON-RPC error object behind ``exc`` (the last one, if the pool tried several)."""
    if isinstance(exc, RpcCallError):
        return exc
    if isinstance(exc, NoHealthyEndpoint):
        for inner in reversed(exc.errors):
            if isinstance(inner, RpcCallError):
                return inner
    return None


class SendOutcome(enum.Enum):
    KNOWN = "known"  # the node already holds this very transaction: it is pooled, track it
    REFUSED = "refused"  # the node will not take it: drop the trade, give the nonce back
    NONCE = "nonce"  # our nonce is wrong (used or taken by a pooled tx): drop and resync
    UNKNOWN = "unknown"  # no usable answer: it may be on the wire; the tracker decides


@dataclass(frozen=True, slots=True)
class Refusal:
    outcome: SendOutcome
    kind: str  # short slug for the journal reason and the metric label
    message: str  # the node's words (no key material: nodes never echo the raw tx)


_PATTERNS: tuple[tuple[str, SendOutcome, str], ...] = (
    ("already known", SendOutcome.KNOWN, "already_known"),
    ("already imported", SendOutcome.KNOWN, "already_known"),
    ("known transaction", SendOutcome.KNOWN, "already_known"),
    ("nonce too low", SendOutcome.NONCE, "nonce_too_low"),
    ("nonce too high", SendOutcome.NONCE, "nonce_too_high"),
    ("replacement transaction underpriced", SendOutcome.NONCE, "replacement_underpriced"),
    ("replacement underpriced", SendOutcome.NONCE, "replacement_underpriced"),
    ("insufficient funds", SendOutcome.REFUSED, "insufficient_funds"),
    ("fee cap less than block base fee", SendOutcome.REFUSED, "fee_below_base_fee"),
    ("max fee per gas less than block base fee", SendOutcome.REFUSED, "fee_below_base_fee"),
    ("intrinsic gas too low", SendOutcome.REFUSED, "intrinsic_gas"),
    ("exceeds block gas limit", SendOutcome.REFUSED, "gas_limit"),
    ("underpriced", SendOutcome.REFUSED, "underpriced"),
)


def classify_send_error(exc: ChainError) -> Refusal:
    """What a failed ``eth_sendRawTransaction`` means; see :class:`SendOutcome`.

    Over several endpoints: one that already knows the transaction settles it (KNOWN); one that
    gave no usable answer (transport, timeout, malformed) may have taken it (UNKNOWN); only when
    every endpoint answered with an error object is the send refused.
    """
    errors = exc.errors if isinstance(exc, NoHealthyEndpoint) else (exc,)
    refusals = [_classify(e) for e in errors if isinstance(e, RpcCallError)]
    for refusal in refusals:
        if refusal.outcome is SendOutcome.KNOWN:
            return refusal
    if not refusals or len(refusals) < len(errors):
        return Refusal(SendOutcome.UNKNOWN, "no_answer", str(exc))
    return refusals[-1]


def _classify(err: RpcCallError) -> Refusal:
    lowered = err.message.lower()
    for needle, outcome, kind in _PATTERNS:
        if needle in lowered:
            return Refusal(outcome, kind, err.message)
    # any other error object is still an answer: the node did not take the transaction
    return Refusal(SendOutcome.REFUSED, "refused", err.message)
