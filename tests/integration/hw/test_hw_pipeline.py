"""The hardware pieces wired as the supervisor will: GPIO press -> latch, LEDs, alert, metrics."""

from __future__ import annotations

import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import trio
from gpiozero.pins.mock import MockFactory

from appliance.alerts import alert_for, offer_alert, run_alerts
from appliance.config.sections import AlertsConfig, HardwareConfig, MetricsConfig, WebhookConfig
from appliance.events import LedsChanged
from appliance.metrics import Metrics, run_metrics
from appliance.safety import SafetyLatch
from hw import run_hw


def _receiver():
    got: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return server, got


async def test_press_reaches_leds_alerts_and_metrics(tmp_path):
    server, received = _receiver()
    factory = MockFactory()
    latch = SafetyLatch(tmp_path)
    metrics = Metrics(latch=latch, data_dir=tmp_path)
    hw_events_send, hw_events_recv = trio.open_memory_channel(math.inf)
    _mode_send, mode_recv = trio.open_memory_channel(math.inf)
    alerts_send, alerts_recv = trio.open_memory_channel(64)
    webhook = WebhookConfig(kind="generic", url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    leds: list[LedsChanged] = []
    try:
        async with trio.open_nursery() as nursery:
            exporter = await nursery.start(run_metrics, MetricsConfig(port=0), metrics)
            await nursery.start(run_alerts, AlertsConfig(webhooks=(webhook,)), alerts_recv)
            await nursery.start(
                lambda task_status: run_hw(
                    HardwareConfig(),
                    latch=latch,
                    pin_factory=factory,
                    mode_recv=mode_recv,
                    events_send=hw_events_send,
                    healthy=lambda: True,
                    task_status=task_status,
                )
            )

            async def supervisor_fan_out():  # what the lead's supervisor does with hw events
                async for event in hw_events_recv:
                    metrics.observe(event)
                    if isinstance(event, LedsChanged):
                        leds.append(event)
                    alert = alert_for(event)
                    if alert is not None:
                        offer_alert(alerts_send, alert)

            nursery.start_soon(supervisor_fan_out)
            factory.pin(17).drive_low()  # the operator hits the switch
            assert latch.tripped
            with trio.fail_after(20):  # hang guard
                while not received:
                    await trio.sleep(0.01)
            assert received[0]["priority"] == "critical" and received[0]["key"] == "kill_switch"
            assert leds[-1] == LedsChanged(green="off", yellow="off", red="on")
            assert factory.pin(24).state == 1
            async with httpx.AsyncClient() as client:
                text = (await client.get(exporter.url)).text
            assert "arb_kill_switch_latched 1.0" in text
            assert 'arb_kill_switch_presses_total{source="gpio"} 1.0' in text
            nursery.cancel_scope.cancel()
    finally:
        server.shutdown()
        server.server_close()
    assert SafetyLatch(tmp_path).tripped
