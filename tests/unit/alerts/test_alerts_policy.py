"""Alert buffer, rate limit, dedup, request formats and the event -> alert mapping (no network)."""

from __future__ import annotations

import pytest
import trio

from appliance.alerts import (
    AlertBuffer,
    Deduplicator,
    RateLimiter,
    alert_for,
    build_request,
    describe_webhook,
)
from appliance.config.sections import WebhookConfig
from appliance.events import (
    AlertRaised,
    FaultChanged,
    KillSwitchPressed,
    KillSwitchRearmed,
    ModeChanged,
    Priority,
    RearmRefused,
)
from appliance.modes import Mode

TOKEN = "123456:AAE-secret_token_value_abcdefghijklmnop"


def alert(priority: Priority, key: str = "k", text: str = "t") -> AlertRaised:
    return AlertRaised(at=1.0, priority=priority, key=key, text=text)


def test_buffer_drops_lowest_priority_oldest_first():
    buf = AlertBuffer(3)
    i1, w1, i2 = (
        alert(Priority.INFO, "i1"),
        alert(Priority.WARNING, "w1"),
        alert(Priority.INFO, "i2"),
    )
    for a in (i1, w1, i2):
        assert buf.put(a) is None
    assert buf.put(alert(Priority.WARNING, "w2")) is i1  # oldest INFO makes room
    assert buf.put(alert(Priority.INFO, "i3")) is i2  # same priority: the oldest goes
    assert len(buf) == 3
    assert [buf.get_nowait().key for _ in range(3)] == ["w1", "w2", "i3"]


def test_buffer_order_and_critical_never_dropped_for_lower():
    buf = AlertBuffer(2, hard_capacity=3)
    assert buf.put(alert(Priority.WARNING, "w")) is None
    assert buf.put(alert(Priority.WARNING, "w0")) is None
    assert (
        buf.put(alert(Priority.INFO, "late")).key == "late"
    )  # lower than all queued: dropped itself
    assert buf.get_nowait().key == "w"
    assert buf.put(alert(Priority.INFO, "i")) is None  # [w0, i]
    assert buf.put(alert(Priority.CRITICAL, "c1")).key == "i"
    assert buf.put(alert(Priority.CRITICAL, "c2")).key == "w0"
    assert buf.put(alert(Priority.CRITICAL, "c3")) is None  # over the soft capacity
    assert buf.put(alert(Priority.CRITICAL, "c4")).key == "c1"  # hard capacity: oldest CRITICAL
    assert [buf.get_nowait().key for _ in range(3)] == ["c2", "c3", "c4"]
    with pytest.raises(trio.WouldBlock):
        buf.get_nowait()


def test_buffer_serves_most_important_first():
    buf = AlertBuffer(10)
    for a in (
        alert(Priority.INFO, "i"),
        alert(Priority.CRITICAL, "c"),
        alert(Priority.WARNING, "w1"),
        alert(Priority.WARNING, "w2"),
    ):
        buf.put(a)
    assert [buf.get_nowait().key for _ in range(4)] == ["c", "w1", "w2", "i"]


async def test_rate_limiter_and_dedup_on_trio_time(autojump_clock):
    limiter = RateLimiter(3)
    assert [limiter.try_take() for _ in range(4)] == [True, True, True, False]
    start = trio.current_time()
    await limiter.take()  # one token every 20 s
    assert trio.current_time() - start == pytest.approx(20, abs=0.01)
    dedup = Deduplicator(300)
    assert dedup.allow("rpc") and not dedup.allow("rpc") and dedup.allow("other")
    await trio.sleep(301)
    assert dedup.allow("rpc")
    dedup.note("kill")
    assert not dedup.allow("kill")


def test_formats_per_kind():
    a = AlertRaised(
        at=5.0,
        priority=Priority.CRITICAL,
        key="kill_switch",
        text="halted",
        extra={"source": "gpio"},
    )
    url, body = build_request(
        WebhookConfig(kind="telegram", url=f"https://api.telegram.org/bot{TOKEN}", chat_id="-100"),
        a,
    )
    assert url == f"https://api.telegram.org/bot{TOKEN}/sendMessage"
    assert body["chat_id"] == "-100" and body["text"].startswith("[CRITICAL] arb-appliance: halted")
    assert "source: gpio" in body["text"]
    url, body = build_request(
        WebhookConfig(kind="discord", url="https://discord.com/api/webhooks/1/x"), a
    )
    assert (
        url.endswith("/1/x")
        and body["content"].startswith("[CRITICAL]")
        and body["allowed_mentions"] == {"parse": []}
    )
    _, body = build_request(
        WebhookConfig(kind="discord", url="https://d.example/x"),
        alert(Priority.INFO, text="z" * 5000),
    )
    assert len(body["content"]) == 2000
    _, body = build_request(
        WebhookConfig(kind="slack", url="https://hooks.slack.com/services/T/B/X"), a
    )
    assert body == {"text": "[CRITICAL] arb-appliance: halted\nsource: gpio"}
    _, body = build_request(WebhookConfig(kind="generic", url="https://example.org/hook"), a)
    assert body == {
        "source": "arb-appliance",
        "at": 5.0,
        "priority": "critical",
        "key": "kill_switch",
        "text": "halted",
        "extra": {"source": "gpio"},
    }


def test_webhooks_are_named_without_their_secret():
    tg = WebhookConfig(kind="telegram", url=f"https://api.telegram.org/bot{TOKEN}", chat_id="1")
    assert describe_webhook(tg) == "telegram api.telegram.org"
    assert TOKEN not in describe_webhook(tg)
    hook = WebhookConfig(kind="generic", url="http://user:pw@10.0.0.2:8080/path?key=abc")
    assert describe_webhook(hook) == "generic 10.0.0.2:8080"


def test_event_to_alert_mapping():
    pressed = alert_for(KillSwitchPressed(at=1.0, source="gpio", newly_latched=True))
    assert pressed.priority is Priority.CRITICAL and pressed.key == "kill_switch"
    assert alert_for(KillSwitchPressed(at=1.0, source="gpio", newly_latched=False)) is None
    assert (
        alert_for(KillSwitchPressed(at=1.0, source="sigusr1", newly_latched=False)).priority
        is Priority.CRITICAL
    )
    assert alert_for(KillSwitchRearmed(at=1.0, held_s=5.2)).priority is Priority.CRITICAL
    assert alert_for(RearmRefused(at=1.0, reason="rpc down")).priority is Priority.WARNING
    assert (
        alert_for(ModeChanged(1.0, Mode.NORMAL, Mode.EMERGENCY, "pressed", "kill_switch")) is None
    )
    assert (
        alert_for(
            ModeChanged(1.0, Mode.NORMAL, Mode.EMERGENCY, "latch at start", "startup")
        ).priority
        is Priority.CRITICAL
    )
    assert (
        alert_for(ModeChanged(1.0, Mode.NORMAL, Mode.PAUSED, "loss", "breaker")).priority
        is Priority.WARNING
    )
    assert (
        alert_for(ModeChanged(1.0, Mode.PAUSED, Mode.NORMAL, "ok", "health")).priority
        is Priority.INFO
    )
    fault = alert_for(FaultChanged("crashes:market", True, "5 in 60 s"), at=3.0)
    assert (fault.priority, fault.key, fault.at) == (Priority.WARNING, "fault:crashes:market", 3.0)
    assert alert_for(FaultChanged("rpc", False)).priority is Priority.INFO
    assert alert_for("anything else") is None
