"""Errors of the status screen.

::

    UiError(ApplianceError)          anything the status screen raises on purpose
    └── UiUsageError(UserError)      bad command-line input to ``arb-appliance ui``: exit code 2

Missing or stale data is never an error here: it is shown on the screen ("NOT LIVE").
"""

from __future__ import annotations

from appliance.errors import ApplianceError, UserError

__all__ = ["UiError", "UiUsageError"]


class UiError(ApplianceError):
    """Base of the status screen's deliberate errors."""


class UiUsageError(UiError, UserError):
    """The command line of ``arb-appliance ui`` is wrong; the message says which value."""
