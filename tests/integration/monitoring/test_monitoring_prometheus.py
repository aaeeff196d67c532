"""A real Prometheus on loopback scrapes a real appliance on the devnet, with the shipped rules.

The appliance's RPC URL carries credentials (userinfo and an ``apikey`` query, which Anvil
ignores): they must not reach any label, neither in the exporter's text nor in Prometheus.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import trio
from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).parents[1] / "supervisor"))
sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "monitoring"))

from promql_names import dashboard_queries, promql_metric_names, rule_list
from sup_helpers import appliance_config

from appliance import sysinfo
from appliance.config import load_config
from appliance.config.sections import MetricsConfig
from appliance.metrics import Metrics, device_written_bytes, run_metrics
from appliance.supervisor import run_supervisor

pytestmark = [
    pytest.mark.devnet,
    pytest.mark.skipif(
        shutil.which("prometheus") is None,
        reason="Debian's prometheus is not installed (`make setup` installs it)",
    ),
]

MONITORING = Path(__file__).resolve().parents[3] / "monitoring"
KILL_PIN = 17
USER_SECRET, QUERY_SECRET = "u5er-S3CRET-pass", "Qk3y-S3CRET-api"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prometheus_config(tmp: Path, target: str, refused: str) -> Path:
    rules = "\n".join(
        f"  - {MONITORING / 'rules' / name}" for name in ("recording.yml", "alerts.yml")
    )
    path = tmp / "prometheus.yml"
    path.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\n"
        f"rule_files:\n{rules}\n"
        "scrape_configs:\n  - job_name: arb-appliance\n    static_configs:\n"
        f'      - targets: ["{target}"]\n        labels: {{chain: devnet, box: devnet-1}}\n'
        f'      - targets: ["{refused}"]\n        labels: {{chain: devnet, box: closed-1}}\n'
    )
    return path


def _conditional(data_dir: Path) -> dict[str, str]:
    """Series the rules may name that a running box does not always export, and why."""
    why = {
        "arb_trades_total": "labelled by status: appears with the first trade",
        "arb_decisions_total": "labelled by reason: appears with the first risk decision",
        # the supervisor feeds these once it hands the gas reading and the risk config over
        "arb_gas_balance_wei": "appears once the trading account's gas balance was read",
        "arb_daily_loss_limit_wei": "appears when the metrics are given the risk config",
    }
    if sysinfo.board_temperature_c() is None:
        why["arb_board_temperature_celsius"] = "this machine has no thermal zone"
    if device_written_bytes(data_dir) is None:
        why["arb_storage_device_written_bytes_total"] = "the journal is not on a block device"
    return why


def _referenced() -> set[str]:
    records = {r["record"] for r in rule_list() if "record" in r}
    exprs = [r["expr"] for r in rule_list()] + [e for _t, e in dashboard_queries()]
    return set().union(*map(promql_metric_names, exprs)) - records


class Prometheus:
    """``prometheus`` on a free loopback port with its own storage; stopped on exit."""

    def __init__(self, tmp: Path, target: str, refused: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = (tmp / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={_prometheus_config(tmp, target, refused)}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()

    async def query(self, client: httpx.AsyncClient, expr: str) -> list[dict]:
        r = await client.get(f"{self.url}/api/v1/query", params={"query": expr})
        body = r.json()
        assert body["status"] == "success", body
        return body["data"]["result"]

    async def ready(self, client: httpx.AsyncClient, *, timeout: float = 30.0) -> None:
        with trio.fail_after(timeout):
            while True:
                if self.proc.poll() is not None:
                    raise AssertionError(f"prometheus exited with {self.proc.returncode}")
                try:
                    if (await client.get(f"{self.url}/-/ready")).status_code == 200:
                        return
                except httpx.TransportError:  # not listening yet
                    pass
                await trio.sleep(0.2)

    async def rules_evaluated(self, client, *, timeout: float = 15.0) -> list[dict]:
        """The rule groups once every rule was evaluated; fails on a rule in error."""
        with trio.fail_after(timeout):
            while True:
                groups = (await client.get(f"{self.url}/api/v1/rules")).json()["data"]["groups"]
                rules = [r for g in groups for r in g["rules"]]
                bad = [(r["name"], r.get("lastError")) for r in rules if r["health"] == "err"]
                assert not bad, bad
                if all(r["health"] == "ok" for r in rules):  # "unknown" until evaluated
                    return groups
                await trio.sleep(0.5)

    async def until(self, client, expr: str, *, timeout: float = 30.0) -> list[dict]:
        """The first non-empty answer to ``expr``."""
        with trio.fail_after(timeout):
            while not (result := await self.query(client, expr)):
                await trio.sleep(0.25)
        return result


async def test_prometheus_scrapes_the_appliance_and_evaluates_the_fleet_rules(devnet, tmp_path):
    dn = devnet
    path = await appliance_config(dn, tmp_path)
    text = path.read_text()
    # the devnet writes an "http|ws" pair: this box polls its HTTP half, with credentials in it
    entry, url = re.search(r'^rpc = \["((http://[^"|]+)[^"]*)"\]$', text, re.MULTILINE).groups()
    anvil = url.removeprefix("http://").rstrip("/")
    secret_url = f"http://monitor:{USER_SECRET}@{anvil}/?apikey={QUERY_SECRET}"
    path.write_text(text.replace(f'rpc = ["{entry}"]', f'rpc = ["{secret_url}"]'))
    cfg = load_config(path)
    assert cfg.chain.rpc == (secret_url,)
    assert cfg.metrics.host == "127.0.0.1"
    factory = MockFactory()
    started = time.time()
    async with trio.open_nursery() as nursery:
        sup = await nursery.start(
            lambda task_status: run_supervisor(cfg, pin_factory=factory, task_status=task_status)
        )
        await sup.ready.wait()
        target = sup.metrics_url.removeprefix("http://").removesuffix("/metrics")
        # a second exporter whose allow-list excludes loopback: Prometheus is refused
        closed = await nursery.start(
            run_metrics, MetricsConfig(port=0, allow=("10.0.0.0/8",)), Metrics(process=False)
        )
        prom = Prometheus(tmp_path, target, f"127.0.0.1:{closed.port}")
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                await prom.ready(client)
                box = '{job="arb-appliance", chain="devnet", box="devnet-1"}'
                up = await prom.until(client, f"up{box} == 1")
                assert up[0]["metric"]["instance"] == target

                head = await dn.mine(3)
                series = await prom.until(client, f"arb_head_block{box} == {head}")
                assert series[0]["metric"]["chain"] == "devnet"

                rss = await prom.until(client, f"process_resident_memory_bytes{box}")
                assert float(rss[0]["value"][1]) > 10 * 2**20
                healthy = await prom.until(client, f"arb_rpc_healthy{box}")
                assert [s["metric"]["endpoint"] for s in healthy] == [anvil]
                # recording rules run on the real series
                age = await prom.until(client, f"box:arb_head_age_seconds{box}")
                assert 0 <= float(age[0]["value"][1]) < time.time() - started + 5
                count = await prom.until(client, f"box:arb_rpc_endpoints_healthy:count{box}")
                assert float(count[0]["value"][1]) == 1

                # no label of any series carries the RPC credentials
                everything = await prom.query(client, '{job=~".+"}')
                assert len(everything) > 30
                labels = repr([s["metric"] for s in everything])
                assert USER_SECRET not in labels and QUERY_SECRET not in labels
                async with httpx.AsyncClient() as direct:
                    exposition = (await direct.get(sup.metrics_url)).text
                assert USER_SECRET not in exposition and QUERY_SECRET not in exposition
                # the names the rules and the dashboard read are what the running box exports,
                # but for series that appear only with their source
                scraped = {s["metric"]["__name__"] for s in everything}
                missing = _referenced() - scraped
                conditional = set(_conditional(cfg.storage.data_dir))
                assert missing <= conditional, sorted(missing - conditional)

                # every shipped rule evaluates without error on the real data
                rules = await prom.rules_evaluated(client)
                assert {g["name"] for g in rules} == {
                    "arb-appliance.recording",
                    "arb-appliance.alerts",
                }
                assert sum(len(g["rules"]) for g in rules) == 24

                # the box that refuses this Prometheus: down, with the 403 as the reason
                await prom.until(client, 'up{job="arb-appliance", box="closed-1"} == 0')
                targets = (await client.get(f"{prom.url}/api/v1/targets")).json()["data"]
                (refused,) = [
                    t for t in targets["activeTargets"] if t["labels"]["box"] == "closed-1"
                ]
                assert "403" in refused["lastError"]
                await prom.until(
                    client,
                    'ALERTS{alertname="ApplianceDown", box="closed-1", alertstate="pending"}',
                )

                # the kill switch: ApplianceEmergencyLatched fires in the real Prometheus
                factory.pin(KILL_PIN).drive_low()
                assert sup.latch.tripped
                alert = await prom.until(
                    client, 'ALERTS{alertname="ApplianceEmergencyLatched", alertstate="firing"}'
                )
                assert alert[0]["metric"]["box"] == "devnet-1"
                assert alert[0]["metric"]["severity"] == "critical"
        finally:
            prom.close()
        nursery.cancel_scope.cancel()
