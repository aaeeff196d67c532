"""Errors of the risk package::

    RiskError(ApplianceError)             anything the risk engine raises on purpose
    ├── ModeTransitionError(ValueError)   an illegal mode change was asked for (a bug in the
    │                                     caller: e.g. a hold of EMERGENCY); nothing changes
    └── RiskStateError(ValueError)        the persisted risk state is unreadable (damaged,
                                          truncated, wrong types); the engine starts PAUSED with
                                          the breakers OPEN and alerts, until the journal rebuilt
                                          today's P&L

Refusing a trade is not an error: the gate returns a :class:`~appliance.risk.gate.Decision`.
"""

from __future__ import annotations

from appliance.errors import ApplianceError

__all__ = ["ModeTransitionError", "RiskError", "RiskStateError"]


class RiskError(ApplianceError):
    """Base of the risk package's errors."""


class ModeTransitionError(RiskError, ValueError):
    """A caller asked for a mode change the state machine does not allow."""


class RiskStateError(RiskError, ValueError):
    """The persisted risk state (breakers, P&L, last mode) cannot be read."""
