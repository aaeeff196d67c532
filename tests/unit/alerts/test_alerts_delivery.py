"""Alerts delivered to a REAL local HTTP server on loopback; a dead or slow receiver never blocks."""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trio

from appliance.alerts import AlertStats, offer_alert, run_alerts
from appliance.alerts import sender as sender_module
from appliance.config.sections import AlertsConfig, WebhookConfig
from appliance.events import AlertRaised, Priority

TOKEN = "987654:AAH-very_secret_bot_token_0123456789"


class Receiver:
    """A threaded HTTP server recording POSTs; answers from ``statuses`` (then 200); ``gate`` stalls."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.statuses: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.arrived.set()
                receiver.gate.wait(30)
                receiver.requests.append((self.path, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                payload = b'{"ok": true}'
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # a client cancelled mid-request (the tests do that on purpose)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(sender_module, "BACKOFF_S", (0.01, 0.02, 0.04))


def alert(priority: Priority, key: str, text: str = "hello") -> AlertRaised:
    return AlertRaised(at=1.0, priority=priority, key=key, text=text)


async def wait_for(predicate, timeout: float = 20.0) -> None:
    with trio.fail_after(timeout):  # a guard against hanging, not a timing assertion
        while not predicate():
            await trio.sleep(0.01)


def config(*webhooks: WebhookConfig, **kw) -> AlertsConfig:
    return AlertsConfig(webhooks=webhooks, timeout_s=kw.pop("timeout_s", 2.0), **kw)


async def test_every_kind_reaches_the_receiver(receiver, caplog):
    caplog.set_level(logging.DEBUG, logger="appliance")
    cfg = config(
        WebhookConfig(
            kind="telegram", url=receiver.url(f"/bot{TOKEN}"), chat_id="-1001", min_priority="info"
        ),
        WebhookConfig(
            kind="discord", url=receiver.url("/api/webhooks/1/discordsecret"), min_priority="info"
        ),
        WebhookConfig(
            kind="slack", url=receiver.url("/services/T/B/slacksecret"), min_priority="info"
        ),
        WebhookConfig(
            kind="generic", url=receiver.url("/hook?key=genericsecret"), min_priority="info"
        ),
    )
    send, recv = trio.open_memory_channel(16)
    async with trio.open_nursery() as nursery:
        stats = await nursery.start(run_alerts, cfg, recv)
        assert offer_alert(send, alert(Priority.CRITICAL, "kill_switch", "KILL SWITCH pressed"))
        await wait_for(lambda: len(receiver.requests) == 4)
        await wait_for(lambda: stats.counts["sent"] == 4)
        nursery.cancel_scope.cancel()
    by_path = dict(receiver.requests)
    assert by_path[f"/bot{TOKEN}/sendMessage"]["chat_id"] == "-1001"
    assert (
        by_path[f"/bot{TOKEN}/sendMessage"]["text"]
        == "[CRITICAL] arb-appliance: KILL SWITCH pressed"
    )
    assert by_path["/api/webhooks/1/discordsecret"]["content"].endswith("KILL SWITCH pressed")
    assert by_path["/services/T/B/slacksecret"]["text"].endswith("KILL SWITCH pressed")
    assert by_path["/hook?key=genericsecret"]["key"] == "kill_switch"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (TOKEN, "discordsecret", "slacksecret", "genericsecret"):
        assert secret not in logged


async def test_dedup_priority_filter_and_critical_bypass(receiver):
    cfg = config(
        WebhookConfig(kind="generic", url=receiver.url("/h"), min_priority="warning"), dedup_s=300
    )
    send, recv = trio.open_memory_channel(16)
    async with trio.open_nursery() as nursery:
        stats = await nursery.start(run_alerts, cfg, recv)
        for a in (
            alert(Priority.WARNING, "rpc", "rpc down"),
            alert(Priority.WARNING, "rpc", "rpc down again"),  # same key within the window
            alert(Priority.INFO, "trade", "mined"),  # below min_priority
            alert(Priority.CRITICAL, "kill_switch", "one"),
            alert(Priority.CRITICAL, "kill_switch", "two"),  # CRITICAL: never deduplicated
        ):
            offer_alert(send, a)
        await wait_for(lambda: stats.counts["sent"] == 3)
        nursery.cancel_scope.cancel()
    texts = sorted(body["text"] for _, body in receiver.requests)
    assert texts == ["one", "rpc down", "two"]
    assert stats.counts["deduplicated"] == 1 and stats.counts["below_min_priority"] == 1


async def test_rate_limit_holds_back_warnings_but_not_critical(receiver):
    cfg = config(WebhookConfig(kind="generic", url=receiver.url("/h")), rate_per_minute=2)
    send, recv = trio.open_memory_channel(16)
    async with trio.open_nursery() as nursery:
        stats = await nursery.start(run_alerts, cfg, recv)
        for i in range(4):
            offer_alert(send, alert(Priority.WARNING, f"w{i}", f"w{i}"))
        await wait_for(lambda: stats.counts["sent"] == 2)
        await trio.sleep(0.2)
        assert stats.counts["sent"] == 2  # the next token is 30 s away
        offer_alert(send, alert(Priority.CRITICAL, "breaker:trade", "breaker open"))
        await wait_for(lambda: stats.counts["sent"] == 3)  # no token needed, no 30 s wait
        nursery.cancel_scope.cancel()
    assert [body["text"] for _, body in receiver.requests] == ["w0", "w1", "breaker open"]


async def test_critical_jumps_a_rate_limited_queue(receiver):
    cfg = config(WebhookConfig(kind="generic", url=receiver.url("/h")), rate_per_minute=1)
    send, recv = trio.open_memory_channel(16)
    receiver.gate.clear()  # hold the first request so the queue builds up behind it
    async with trio.open_nursery() as nursery:
        stats = await nursery.start(run_alerts, cfg, recv)
        offer_alert(send, alert(Priority.WARNING, "w0", "w0"))
        await wait_for(receiver.arrived.is_set)
        for i in range(1, 4):
            offer_alert(send, alert(Priority.WARNING, f"w{i}", f"w{i}"))
        offer_alert(send, alert(Priority.CRITICAL, "kill_switch", "KILL"))
        await trio.sleep(0.05)
        receiver.gate.set()
        await wait_for(lambda: stats.counts["sent"] == 2)
        nursery.cancel_scope.cancel()
    assert [body["text"] for _, body in receiver.requests] == ["w0", "KILL"]


async def test_retries_on_5xx_and_429_gives_up_on_4xx(receiver):
    cfg = config(WebhookConfig(kind="generic", url=receiver.url("/h")))
    send, recv = trio.open_memory_channel(16)
    receiver.statuses = [500, 429, 200, 403]
    async with trio.open_nursery() as nursery:
        stats = await nursery.start(run_alerts, cfg, recv)
        offer_alert(send, alert(Priority.WARNING, "a", "retried"))
        await wait_for(lambda: stats.counts["sent"] == 1)
        offer_alert(send, alert(Priority.WARNING, "b", "refused"))
        await wait_for(lambda: stats.counts["rejected"] == 1)
        nursery.cancel_scope.cancel()
    assert [body["text"] for _, body in receiver.requests] == ["retried"] * 3 + ["refused"]
    assert stats.counts["retried"] == 2


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_receiver_down_or_slow_never_blocks_the_caller(receiver):
    dead = WebhookConfig(kind="generic", url=f"http://127.0.0.1:{_closed_port()}/h")
    slow = WebhookConfig(kind="generic", url=receiver.url("/slow"), min_priority="info")
    cfg = config(dead, slow, timeout_s=1.0, rate_per_minute=10_000)
    send, recv = trio.open_memory_channel(32)
    receiver.gate.clear()  # the live receiver hangs until the trading loop below is done
    stats = AlertStats()
    async with trio.open_nursery() as nursery:
        await nursery.start(
            lambda task_status: run_alerts(cfg, recv, stats=stats, task_status=task_status)
        )
        # A "trading loop": 2,000 iterations, each offering an alert and yielding to Trio.
        offered = 0
        for i in range(2_000):
            priority = Priority.CRITICAL if i % 500 == 0 else Priority.INFO
            offered += offer_alert(send, alert(priority, f"k{i}", f"n{i}"), stats)
            await trio.lowlevel.checkpoint()
        # It finished while the slow receiver had not answered a single request.
        assert receiver.requests == []
        assert offered + stats.counts["dropped_channel"] == 2_000
        assert stats.counts["dropped_full"] > 0  # bounded: the least important were dropped
        receiver.gate.set()
        await wait_for(lambda: stats.counts["failed"] >= 1)  # the dead one gave up after retries
        await wait_for(
            lambda: (
                {f"n{i}" for i in (0, 500, 1000, 1500)} <= {b["text"] for _, b in receiver.requests}
            )
        )
        nursery.cancel_scope.cancel()
    assert stats.counts["retried"] >= 3


async def test_closing_the_channel_flushes_then_returns(receiver):
    cfg = config(WebhookConfig(kind="generic", url=receiver.url("/h")))
    send, recv = trio.open_memory_channel(math.inf)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(run_alerts, cfg, recv)
        offer_alert(send, alert(Priority.CRITICAL, "kill_switch", "last words"))
        await send.aclose()
    assert [body["text"] for _, body in receiver.requests] == ["last words"]
