"""The chain I/O error family.

::

    ChainError (ApplianceError)         anything chain I/O raises on purpose
    ├── RpcError                        one endpoint could not give a usable answer to one request
    │   ├── RpcTransportError           connection refused/reset, HTTP 5xx: try another endpoint
    │   │   └── RpcTimeout              no answer within the request timeout: try another endpoint
    │   ├── RateLimited                 HTTP 429 / -32005: back off, try another endpoint
    │   ├── MalformedResponse           the answer broke the JSON-RPC contract (id, shape, size,
    │   │                               type): distrust the endpoint, try another
    │   ├── NotFound                    the endpoint does not know the block/object (yet): another
    │   │                               endpoint may
    │   └── RpcCallError                the node answered with a JSON-RPC error object (``code``)
    │       ├── ExecutionReverted       the call reverted; ``reason`` decoded; final, no retry
    │       ├── MethodNotFound          -32601: final, no retry
    │       └── InvalidParams           -32602: final, no retry (our bug)
    ├── NoHealthyEndpoint               every endpoint failed or has an open breaker: retry later
    ├── ChainIdMismatch                 eth_chainId differs from chain.chain_id: stop (also an
    │                                   OperationalError)
    └── ChainDataError                  a value that passed JSON-RPC validation is not what the
                                        chain contract promises (e.g. a block without a hash)

``RpcError.retryable`` says whether another endpoint may give a better answer. Messages carry the
endpoint's host[:port] only — URLs may embed API keys — and the JSON-RPC method.
"""

from __future__ import annotations

from typing import Any

from appliance.errors import ApplianceError, OperationalError

__all__ = [
    "ChainDataError",
    "ChainError",
    "ChainIdMismatch",
    "ExecutionReverted",
    "InvalidParams",
    "MalformedResponse",
    "MethodNotFound",
    "NoHealthyEndpoint",
    "NotFound",
    "RateLimited",
    "RpcCallError",
    "RpcError",
    "RpcTimeout",
    "RpcTransportError",
]


class ChainError(ApplianceError):
    """Base of the chain I/O family."""


class RpcError(ChainError):
    """One request to one endpoint failed. ``host`` is host[:port], never the full URL."""

    retryable = True

    def __init__(self, host: str, method: str, detail: str) -> None:
        self.host = host
        self.method = method
        self.detail = detail
        super().__init__(f"{host}: {method}: {detail}")


class RpcTransportError(RpcError):
    """The request did not get a well-formed HTTP answer (refused, reset, 5xx, truncated)."""


class RpcTimeout(RpcTransportError):
    """No answer within the request timeout."""


class RateLimited(RpcError):
    """The endpoint refused for rate reasons (HTTP 429 or JSON-RPC -32005)."""


class MalformedResponse(RpcError):
    """The answer is not valid JSON-RPC for our request (id, shape, type or size)."""


class NotFound(RpcError):
    """The endpoint answered null for a block (or object) that must exist."""


class RpcCallError(RpcError):
    """The node answered with an error object. ``code``, ``message`` and ``data`` are kept."""

    retryable = True  # an unknown server error (e.g. -32000 "header not found") may be local

    def __init__(self, host: str, method: str, code: int, message: str, data: Any = None) -> None:
        self.code = code
        self.message = message
        self.data = data
        super().__init__(host, method, f"error {code}: {message[:200]!r}")


class ExecutionReverted(RpcCallError):
    """The EVM reverted. ``reason`` is decoded from Error(string) / Panic(uint256) data."""

    retryable = False

    def __init__(
        self, host: str, method: str, code: int, message: str, data: Any = None, reason: str = ""
    ) -> None:
        self.reason = reason
        super().__init__(host, method, code, message, data)
        self.args = (f"{host}: {method}: execution reverted: {reason[:200]!r}",)


class MethodNotFound(RpcCallError):
    """The endpoint does not implement the method (-32601)."""

    retryable = False


class InvalidParams(RpcCallError):
    """The endpoint rejected our parameters (-32602)."""

    retryable = False


class NoHealthyEndpoint(ChainError):
    """Every endpoint failed this request or is shut out by its breaker."""

    def __init__(self, method: str, errors: tuple[BaseException, ...] = ()) -> None:
        self.method = method
        self.errors = errors
        last = f"; last: {errors[-1]}" if errors else ""
        super().__init__(f"{method}: no healthy RPC endpoint ({len(errors)} failed){last}")


class ChainIdMismatch(ChainError, OperationalError):
    """The node serves another chain than the configured one."""

    def __init__(self, host: str, expected: int, got: int) -> None:
        self.host = host
        self.expected = expected
        self.got = got
        super().__init__(f"{host}: eth_chainId is {got}, config chain.chain_id is {expected}")


class ChainDataError(ChainError):
    """A validated answer does not hold what the chain's contract promises."""
