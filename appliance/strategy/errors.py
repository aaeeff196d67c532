"""Errors of the strategy package.

::

    StrategyError(ApplianceError)        anything the strategy package raises on purpose
    ├── ProbeArtifactError               the committed probe artifact is missing or unreadable:
    │                                    a packaging bug, the market task stops
    └── ProbeFailed                      a hostile-token probe could not run (RPC trouble, no pool):
                                         the token is left undecided and probed again later

A hostile token that *is* detected is not an error: it is a ``TokenDenied`` event.
"""

from __future__ import annotations

from appliance.errors import ApplianceError

__all__ = ["ProbeArtifactError", "ProbeFailed", "StrategyError"]


class StrategyError(ApplianceError):
    """Base of the strategy package's errors."""


class ProbeArtifactError(StrategyError):
    """``contracts/probe.json`` cannot be read."""


class ProbeFailed(StrategyError):
    """The probe call itself failed; nothing is known about the token."""
