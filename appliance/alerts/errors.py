"""Errors of alert delivery.

::

    AlertError(ApplianceError)     an alert could not be delivered (logged and counted, never raised
    │                              into trading: alerts are best effort)
    ├── WebhookFailed              transport error, timeout, HTTP 429 or 5xx: retried with backoff
    └── WebhookRejected            HTTP 4xx other than 429 (bad token, bad chat id): not retried

Messages name the webhook by kind and host only: its URL is a secret (Telegram's holds the token).
"""

from __future__ import annotations

from appliance.errors import ApplianceError

__all__ = ["AlertError", "WebhookFailed", "WebhookRejected"]


class AlertError(ApplianceError):
    """Delivery of an alert failed."""


class WebhookFailed(AlertError):
    """A temporary failure: the delivery is retried with backoff (or after ``retry_after`` s)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WebhookRejected(AlertError):
    """The receiver refused the request for good: not retried."""
