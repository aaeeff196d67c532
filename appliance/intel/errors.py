"""The market-intelligence error family.

::

    IntelError (ApplianceError)      something seen on chain could not be read as intelligence
    └── MalformedLog (ValueError)    a log entry does not have the shape its topic promises:
                                     the entry is rejected (logged, counted), the block goes on
"""

from __future__ import annotations

from appliance.errors import ApplianceError

__all__ = ["IntelError", "MalformedLog"]


class IntelError(ApplianceError):
    """Base of what the intelligence side raises on purpose."""


class MalformedLog(IntelError, ValueError):
    """A log entry that does not decode as the event its topic names; skip it, never crash."""
