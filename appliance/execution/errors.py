"""Errors of the execution package.

::

    ExecutionError(ApplianceError)      anything execution raises on purpose
    ├── KeyFileError(UserError)          the key file is missing, unsafe or malformed: refuse to start
    ├── ArtifactError                    the committed executor artifact is unreadable
    ├── ExecutorMissing(UserError)       live trading without account.executor configured
    ├── ExecutorIncompatible(UserError)  account.executor is another version's or trusts another
    │                                    V3 factory: refuse to start, redeploy
    └── SimulationFailed                 eth_call of the exact calldata reverted: drop the order

Chain I/O errors are the chain package's (:mod:`appliance.chain.errors`); what a refused send
means is :func:`appliance.execution.rpc.classify_send_error`.

Messages quote the offending value, never key material.
"""

from __future__ import annotations

from appliance.errors import ApplianceError, UserError

__all__ = [
    "ArtifactError",
    "ExecutionError",
    "ExecutorIncompatible",
    "ExecutorMissing",
    "KeyFileError",
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


class ExecutorIncompatible(ExecutionError, UserError):
    """``account.executor`` cannot trade for this config (another version's ABI, or another
    V3 factory): refuse to start (:mod:`appliance.execution.compat`)."""


class SimulationFailed(ExecutionError):
    """The simulation reverted; ``reason`` is the decoded revert string (or the raw error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"simulation reverted: {reason}")
        self.reason = reason
