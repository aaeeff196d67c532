"""Errors of the execution package.

::

    ExecutionError(ApplianceError)      anything execution raises on purpose
    ├── KeyFileError(UserError)          the key file is missing, unsafe or malformed: refuse to start
    ├── ArtifactError                    the committed executor artifact is unreadable
    ├── ExecutorMissing(UserError)       live trading without account.executor configured
    ├── SimulationFailed                 eth_call of the exact calldata reverted: drop the order
    ├── NodeError                        the node answered a request with a JSON-RPC error
    └── RpcUnavailable                   no answer from the node: retried by the caller or journaled

Messages quote the offending value, never key material.
"""

from __future__ import annotations

from appliance.errors import ApplianceError, UserError

__all__ = [
    "ArtifactError",
    "ExecutionError",
    "ExecutorMissing",
    "KeyFileError",
    "NodeError",
    "RpcUnavailable",
    "SimulationFailed",
]


class ExecutionError(ApplianceError):
    """Base of the execution family."""


class KeyFileError(ExecutionError, UserError):
    """The key file cannot be used; the appliance refuses to start (exit 2, one line)."""


class ArtifactError(ExecutionError):
    """The executor's committed ABI/bytecode artifact is missing or malformed."""


class ExecutorMissing(ExecutionError, UserError):
    """A command needs ``account.executor`` but the config has none."""


class SimulationFailed(ExecutionError):
    """The simulation reverted; ``reason`` is the decoded revert string (or the raw error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"simulation reverted: {reason}")
        self.reason = reason


class RpcUnavailable(ExecutionError):
    """The node did not answer (transport error or timeout); the outcome is unknown."""


class NodeError(ExecutionError):
    """A JSON-RPC error answer: ``code``, ``message`` and the raw ``data`` (revert data, if any)."""

    def __init__(self, method: str, code: int, message: str, data: object = None) -> None:
        super().__init__(f"{method}: node error {code}: {message}")
        self.method = method
        self.code = code
        self.message = message
        self.data = data
