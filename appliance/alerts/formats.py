"""Request bodies per webhook kind, and how a webhook is named in logs without its secret."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from appliance.events import AlertRaised

if TYPE_CHECKING:
    from appliance.config.sections import WebhookConfig

__all__ = ["build_request", "describe_webhook", "render_text"]

DISCORD_LIMIT = 2000
TELEGRAM_LIMIT = 4096
SLACK_LIMIT = 3000


def render_text(alert: AlertRaised, *, appliance: str = "arb-appliance") -> str:
    extra = "".join(f"\n{k}: {v}" for k, v in sorted(alert.extra.items()))
    return f"[{alert.priority.name}] {appliance}: {alert.text}{extra}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_request(webhook: WebhookConfig, alert: AlertRaised) -> tuple[str, dict]:
    """``(url, json_body)`` of the POST that delivers ``alert`` to ``webhook``."""
    text = render_text(alert)
    if webhook.kind == "telegram":
        base = webhook.url.rstrip("/")
        url = base if base.endswith("/sendMessage") else base + "/sendMessage"
        return url, {
            "chat_id": webhook.chat_id,
            "text": _clip(text, TELEGRAM_LIMIT),
            "disable_web_page_preview": True,
        }
    if webhook.kind == "discord":
        return webhook.url, {
            "content": _clip(text, DISCORD_LIMIT),
            "allowed_mentions": {"parse": []},
        }
    if webhook.kind == "slack":
        return webhook.url, {"text": _clip(text, SLACK_LIMIT)}
    return webhook.url, {
        "source": "arb-appliance",
        "at": alert.at,
        "priority": alert.priority.name.lower(),
        "key": alert.key,
        "text": alert.text,
        "extra": dict(alert.extra),
    }


def describe_webhook(webhook: WebhookConfig) -> str:
    """``telegram api.telegram.org`` — kind and host only, never the path, query or user info."""
    try:
        url = httpx.URL(webhook.url)
        host = url.host + (f":{url.port}" if url.port else "")
    except (httpx.InvalidURL, TypeError):
        host = "?"
    return f"{webhook.kind} {host}"
