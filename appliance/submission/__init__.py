"""Private submission: relays and bundle builders, signed by a separate searcher identity.

Layout: :mod:`~appliance.submission.identity` (the ``X-Flashbots-Signature`` key),
:mod:`~appliance.submission.relay` (the relay JSON-RPC over httpx, per-relay health and backoff,
sending to every relay at once behind the safety latch).
"""

from appliance.submission.errors import (
    NoRelayAvailable,
    RelayError,
    RelayMalformed,
    RelayRefused,
    RelayUnavailable,
    SearcherKeyError,
    SubmissionError,
)
from appliance.submission.identity import SIGNATURE_HEADER, SearcherIdentity, verify_signature
from appliance.submission.relay import RelayClient, RelayHealth, RelaySet

__all__ = [
    "SIGNATURE_HEADER",
    "NoRelayAvailable",
    "RelayClient",
    "RelayError",
    "RelayHealth",
    "RelayMalformed",
    "RelayRefused",
    "RelaySet",
    "RelayUnavailable",
    "SearcherIdentity",
    "SearcherKeyError",
    "SubmissionError",
    "verify_signature",
]
