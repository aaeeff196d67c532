"""Alerts to the operator's phone: Telegram, Discord, Slack and generic JSON webhooks.

>>> async with trio.open_nursery() as n:
...     stats = await n.start(run_alerts, cfg.alerts, alerts_recv)
...     offer_alert(alerts_send, AlertRaised(...))      # never blocks
"""

from appliance.alerts.buffer import AlertBuffer
from appliance.alerts.errors import AlertError, WebhookFailed, WebhookRejected
from appliance.alerts.formats import build_request, describe_webhook, render_text
from appliance.alerts.mapping import alert_for
from appliance.alerts.policy import Deduplicator, RateLimiter
from appliance.alerts.sender import AlertStats, offer_alert, run_alerts

__all__ = [
    "AlertBuffer",
    "AlertError",
    "AlertStats",
    "Deduplicator",
    "RateLimiter",
    "WebhookFailed",
    "WebhookRejected",
    "alert_for",
    "build_request",
    "describe_webhook",
    "offer_alert",
    "render_text",
    "run_alerts",
]
