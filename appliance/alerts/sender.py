"""``run_alerts``: deliver :class:`AlertRaised` to the configured webhooks without ever blocking.

Shape: producers ``offer_alert(alerts_send, alert)`` (``send_nowait``: a full channel drops and
counts, it never waits) → one intake task (dedup by key, min priority per webhook) → one bounded
:class:`AlertBuffer` and one sender task per webhook (rate limit, retries with backoff), so a
slow or dead Discord never delays Telegram, and nothing here can hold up trading. CRITICAL alerts
(kill switch, breakers) bypass the rate limit and de-duplication and are never dropped for a
lower one.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
import trio

from appliance.alerts.buffer import AlertBuffer
from appliance.alerts.errors import WebhookFailed, WebhookRejected
from appliance.alerts.formats import build_request, describe_webhook
from appliance.alerts.policy import Deduplicator, RateLimiter
from appliance.events import AlertRaised, Priority

if TYPE_CHECKING:
    from appliance.config.sections import AlertsConfig, WebhookConfig

__all__ = ["AlertStats", "offer_alert", "run_alerts"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
BACKOFF_S = (0.5, 1.0, 2.0)
MAX_RETRY_AFTER_S = 30.0
BUFFER_CAPACITY = 64
_PRIORITY = {"info": Priority.INFO, "warning": Priority.WARNING, "critical": Priority.CRITICAL}


@dataclass
class AlertStats:
    """Outcome counters: received, deduplicated, below_min_priority, dropped_full, sent,
    retried, failed, rejected (plus ``dropped_channel`` counted by :func:`offer_alert`)."""

    counts: Counter[str] = field(default_factory=Counter)

    def snapshot(self) -> dict[str, int]:
        return dict(self.counts)


def offer_alert(
    alerts_send: trio.MemorySendChannel, alert: AlertRaised, stats: AlertStats | None = None
) -> bool:
    """Hand ``alert`` over without waiting; False (and counted) when the channel is full."""
    try:
        alerts_send.send_nowait(alert)
    except trio.WouldBlock:
        if stats is not None:
            stats.counts["dropped_channel"] += 1
        log.warning("alert dropped (channel full): %s", alert.key)
        return False
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        return False
    return True


@dataclass
class _Route:
    webhook: WebhookConfig
    name: str
    buffer: AlertBuffer
    limiter: RateLimiter
    min_priority: Priority
    busy: bool = False


async def run_alerts(
    cfg: AlertsConfig,
    alerts_recv: trio.MemoryReceiveChannel,
    *,
    stats: AlertStats | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    task_status=trio.TASK_STATUS_IGNORED,
) -> None:
    """Deliver alerts until cancelled; ``task_status.started(stats)``."""
    stats = stats if stats is not None else AlertStats()
    dedup = Deduplicator(cfg.dedup_s)
    routes = [
        _Route(
            webhook=w,
            name=describe_webhook(w),
            buffer=AlertBuffer(BUFFER_CAPACITY),
            limiter=RateLimiter(cfg.rate_per_minute),
            min_priority=_PRIORITY[w.min_priority],
        )
        for w in cfg.webhooks
    ]
    if routes:
        log.info("alerts to %s", ", ".join(r.name for r in routes))
    async with (
        httpx.AsyncClient(
            timeout=cfg.timeout_s, transport=transport, follow_redirects=False
        ) as client,
        trio.open_nursery() as nursery,
    ):
        for route in routes:
            nursery.start_soon(_send_loop, route, client, cfg, stats)
        task_status.started(stats)
        async for alert in alerts_recv:
            _intake(alert, routes, dedup, stats)
        # The channel was closed (the supervisor is stopping): flush for a moment, then stop.
        with trio.move_on_after(cfg.timeout_s):
            while any(len(r.buffer) or r.busy for r in routes):
                await trio.sleep(0.05)
        nursery.cancel_scope.cancel()


def _intake(
    alert: AlertRaised, routes: list[_Route], dedup: Deduplicator, stats: AlertStats
) -> None:
    stats.counts["received"] += 1
    if alert.priority is Priority.CRITICAL:
        dedup.note(alert.key)
    elif not dedup.allow(alert.key):
        stats.counts["deduplicated"] += 1
        return
    for route in routes:
        if alert.priority < route.min_priority:
            stats.counts["below_min_priority"] += 1
            continue
        dropped = route.buffer.put(alert)
        if dropped is not None:
            stats.counts["dropped_full"] += 1
            log.warning("alert %r dropped for %s: buffer full", dropped.key, route.name)


async def _send_loop(
    route: _Route, client: httpx.AsyncClient, cfg: AlertsConfig, stats: AlertStats
) -> None:
    """Send the most important alert first. A rate-limited warning stays in the buffer while it
    waits for a token, so a CRITICAL arriving meanwhile overtakes it at once."""
    while True:
        await route.buffer.wait_nonempty()
        head = route.buffer.peek()
        if head.priority is Priority.CRITICAL:
            route.limiter.take_bypass()
        elif not route.limiter.try_take():
            with trio.move_on_after(route.limiter.wait_s()):
                await route.buffer.wait_put()
            continue
        alert = route.buffer.get_nowait()
        route.busy = True
        try:
            await _deliver(route, alert, client, cfg, stats)
        finally:
            route.busy = False


async def _deliver(
    route: _Route,
    alert: AlertRaised,
    client: httpx.AsyncClient,
    cfg: AlertsConfig,
    stats: AlertStats,
) -> None:
    url, body = build_request(route.webhook, alert)
    for attempt in range(MAX_ATTEMPTS):
        try:
            await _post_once(client, url, body, cfg.timeout_s, route.name)
        except WebhookRejected as exc:
            stats.counts["rejected"] += 1
            log.error("alert %r not delivered: %s", alert.key, exc)
            return
        except WebhookFailed as exc:
            if attempt + 1 == MAX_ATTEMPTS:
                stats.counts["failed"] += 1
                log.error(
                    "alert %r not delivered after %d attempts: %s", alert.key, MAX_ATTEMPTS, exc
                )
                return
            stats.counts["retried"] += 1
            delay = (
                exc.retry_after
                if getattr(exc, "retry_after", None)
                else BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
            )
            log.info("alert %r to %s: %s; retry in %.1f s", alert.key, route.name, exc, delay)
            await trio.sleep(delay)
        else:
            stats.counts["sent"] += 1
            return


async def _post_once(
    client: httpx.AsyncClient, url: str, body: dict, timeout_s: float, name: str
) -> None:
    """One POST; raises WebhookFailed (retry) or WebhookRejected. Never puts the URL in a message."""
    try:
        with trio.fail_after(timeout_s):
            response = await client.post(url, json=body)
    except trio.TooSlowError:
        raise WebhookFailed(f"{name}: no answer within {timeout_s} s") from None
    except httpx.HTTPError as exc:
        raise WebhookFailed(f"{name}: {type(exc).__name__}") from None
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429 or status >= 500:
        raise WebhookFailed(f"{name}: HTTP {status}", retry_after=_retry_after(response))
    raise WebhookRejected(f"{name}: HTTP {status}")


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        try:
            raw = str(response.json().get("parameters", {}).get("retry_after"))  # Telegram
        except (ValueError, AttributeError):
            return None
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(raw)))
    except (TypeError, ValueError):
        return None
