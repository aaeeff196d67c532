"""The supervisor's error family."""

from __future__ import annotations

from appliance.errors import ApplianceError, UserError

__all__ = ["AlreadyRunning", "SupervisorError"]


class SupervisorError(ApplianceError):
    """Base of the supervisor's own errors."""


class AlreadyRunning(SupervisorError, UserError):
    """Another ``arb-appliance run`` holds this directory (exit code 2: an operator mistake)."""
