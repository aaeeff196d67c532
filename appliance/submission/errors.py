"""The submission error family (private relays and bundle builders).

::

    SubmissionError (ApplianceError)
    ├── RelayError                 one relay could not take one request: counted per relay
    │   ├── RelayUnavailable       connection refused/reset, HTTP 5xx, timeout: back off, skip it
    │   ├── RelayMalformed         the answer broke JSON-RPC (not JSON, wrong id, wrong shape)
    │   └── RelayRefused           the relay answered with a JSON-RPC error (bad bundle, stale
    │                              block, bad signature): final for that bundle at that relay
    ├── NoRelayAvailable           every configured relay is failing or backing off
    └── SearcherKeyError (UserError)  the relay-identity key file is missing, bad, or the
                                   trading key itself (the identity must be a separate key)

Messages name the relay by host[:port] only (relay URLs may carry API keys).
"""

from __future__ import annotations

from appliance.errors import ApplianceError, UserError

__all__ = [
    "NoRelayAvailable",
    "RelayError",
    "RelayMalformed",
    "RelayRefused",
    "RelayUnavailable",
    "SearcherKeyError",
    "SubmissionError",
]


class SubmissionError(ApplianceError):
    """Base of what private and bundle submission raise on purpose."""


class RelayError(SubmissionError):
    kind = "error"

    def __init__(self, host: str, method: str, detail: str) -> None:
        super().__init__(f"relay {host}: {method}: {detail}")
        self.host, self.method, self.detail = host, method, detail


class RelayUnavailable(RelayError):
    kind = "unavailable"


class RelayMalformed(RelayError):
    kind = "malformed"


class RelayRefused(RelayError):
    kind = "refused"

    def __init__(self, host: str, method: str, code: int, message: str) -> None:
        super().__init__(host, method, f"refused ({code}): {message[:200]}")
        self.code, self.message = code, message


class NoRelayAvailable(SubmissionError):
    """Every relay failed or is backing off: the bundle is not sent (never sent publicly)."""


class SearcherKeyError(SubmissionError, UserError):
    """The searcher-identity key is unusable; one line names the file."""
