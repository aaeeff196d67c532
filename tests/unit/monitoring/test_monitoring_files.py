"""monitoring/ names only metrics the appliance exports, and promtool accepts all of it.

The metric names come from a real :class:`~appliance.metrics.Metrics` registry fed with one of
every event it accounts for (and scraped once), not from a list kept by hand.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from appliance.config.sections import RiskConfig
from appliance.events import (
    AlertRaised,
    ArbitrageSeen,
    BlockSeen,
    Candidate,
    CandidatesFound,
    EndpointHealth,
    KillSwitchPressed,
    KillSwitchRearmed,
    Leg,
    MarketIntelSeen,
    ModeChanged,
    OrderApproved,
    OrderRejected,
    PoolsDiscovered,
    Priority,
    RelayHealthChanged,
    RelayStatus,
    ReorgDetected,
    RiskUpdated,
    RpcHealthChanged,
    TokenDenied,
    TradeStatus,
    TradeUpdated,
)
from appliance.metrics import Metrics
from appliance.modes import Mode
from appliance.risk.inputs import InventoryObserved
from appliance.safety import SafetyLatch

sys.path.insert(0, str(Path(__file__).parent))

from promql_names import (
    DASHBOARD,
    MONITORING,
    dashboard_queries,
    promql_metric_names,
    rule_list,
)

ROOT = MONITORING.parent
MON = MONITORING
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not installed (Debian's prometheus: `make setup` installs it)",
)

# Series Prometheus itself adds to every target.
SCRAPE_SERIES = {
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
}


def test_the_name_parser_finds_metrics_and_only_metrics():
    expr = (
        'histogram_quantile(0.99, sum by (chain, box, le) (rate(arb_x_bucket{job="a", '
        'le!="+Inf"}[5m]))) > 1e-3 and on (box) max without (instance) (box:rec:rate5m) '
        "or time() - arb_head offset 5m / clamp_min(-arb_pnl, 0) * 86400 + $__rate_interval"
    )
    assert promql_metric_names(expr) == {"arb_x_bucket", "box:rec:rate5m", "arb_head", "arb_pnl"}
    assert promql_metric_names('label_values(arb_build_info{job="x"}, chain)') == {"arb_build_info"}
    assert promql_metric_names("label_values(chain)") == set()
    # a name that is not exported is found (the check below can fail)
    assert promql_metric_names("rate(arb_not_a_metric_total[5m])") == {"arb_not_a_metric_total"}


# ------------------------------------------------------------------------------- the registry
def _candidate(block: int) -> Candidate:
    token = "0x" + "22" * 20
    return Candidate(block, (Leg("0x" + "11" * 20, token, token, 30),), token, 10, 12, 1, 1)


def exercised_metrics(tmp_path: Path) -> Metrics:
    """A real registry fed with one of every event Metrics accounts for."""
    zone = tmp_path / "thermal" / "thermal_zone0"
    zone.mkdir(parents=True)
    (zone / "temp").write_text("51000\n")
    m = Metrics(
        latch=SafetyLatch(tmp_path),
        data_dir=tmp_path,
        thermal_root=tmp_path / "thermal",
        risk=RiskConfig(),
    )
    events = [
        BlockSeen(7, "0x07", "0x06", 1_700_000_000, 10**9),
        ReorgDetected(6, 7, BlockSeen(8, "0x08", "0x06", 1_700_000_012, 10**9)),
        CandidatesFound(8, (_candidate(8),), seen_at=0.0),
        OrderApproved(_candidate(8), Mode.NORMAL, "o1"),
        OrderRejected(_candidate(8), "min_profit"),
        TradeUpdated("o1", TradeStatus.MINED, Mode.NORMAL, realized_profit=5, gas_cost=1),
        TradeUpdated("o2", TradeStatus.MINED, Mode.NORMAL, realized_profit=-5, gas_used=3),
        ModeChanged(0.0, Mode.PAUSED, Mode.NORMAL, "synced", "startup"),
        KillSwitchPressed(0.0, "gpio", True),
        KillSwitchRearmed(0.0, 5.0),
        RiskUpdated({"daily": "open"}, pnl_today=-3, pnl_session=2, equity_peak=9),
        RpcHealthChanged((EndpointHealth("rpc.example:443", True, 20.0),)),
        AlertRaised(0.0, Priority.WARNING, "k", "t"),
        PoolsDiscovered((), ()),
        TokenDenied("0x" + "33" * 20, "fee_on_transfer"),
        InventoryObserved({}, gas_balance_wei=10**17),
        MarketIntelSeen(
            9,
            (
                ArbitrageSeen(
                    9,
                    "0x09",
                    "arbitrage",
                    "0x" + "44" * 20,
                    None,
                    "0x" + "55" * 20,
                    10**15,
                    10**14,
                    ("0x" + "66" * 20,),
                ),
            ),
            3,
        ),
        RelayHealthChanged((RelayStatus("relay.example:443", sent=3, ok=2, refused=1),)),
    ]
    # one of every kind Metrics accounts for: a new kind must be added here (and so be checked)
    assert {type(e) for e in events} == set(m.OBSERVED)
    for event in events:
        m.observe(event)
    m.journal_written()
    m.watch_alerts(lambda: {"sent": 1})
    return m


def exported_names(m: Metrics) -> set[str]:
    names = set()
    for family in m.registry.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return names


@pytest.fixture(scope="module")
def existing(tmp_path_factory) -> set[str]:
    m = exercised_metrics(tmp_path_factory.mktemp("metrics"))
    m.render()  # the exposition works with everything set
    return exported_names(m) | SCRAPE_SERIES


def test_the_registry_exports_what_the_fleet_needs(existing):
    for name in (
        "arb_mode",
        "arb_head_seen_timestamp_seconds",
        "arb_gas_balance_wei",
        "arb_daily_loss_limit_wei",
        "arb_storage_written_bytes_total",
        "arb_board_temperature_celsius",
        "arb_rpc_healthy",
        "arb_block_to_decision_seconds_bucket",
        "process_resident_memory_bytes",
    ):
        assert name in existing


def test_names_follow_the_client_python_conventions(tmp_path):
    m = exercised_metrics(tmp_path)
    for family in m.registry.collect():
        assert family.name.startswith(("arb_", "process_")), family.name
        if family.type == "counter":
            assert any(s.name.endswith("_total") for s in family.samples), family.name
        assert not family.name.endswith("_total") or family.type == "counter", family.name
        assert "_ms" not in family.name and "_millis" not in family.name, family.name


# ------------------------------------------------------------------------------- the files
def test_rules_name_only_existing_metrics(existing):
    known = set(existing)
    for rule in rule_list():  # in file order: recording rules before the alerts that read them
        unknown = promql_metric_names(rule["expr"]) - known
        assert not unknown, f"{rule.get('record') or rule.get('alert')}: unknown {unknown}"
        if "record" in rule:
            known.add(rule["record"])


def test_dashboard_names_only_existing_metrics(existing):
    known = existing | {r["record"] for r in rule_list() if "record" in r}
    queries = dashboard_queries()
    assert len(queries) >= 20
    for title, expr in queries:
        unknown = promql_metric_names(expr) - known
        assert not unknown, f"dashboard panel {title!r}: unknown {unknown}"


def test_dashboard_covers_the_fleet_overview():
    dash = json.loads(DASHBOARD.read_text())
    exprs = " ".join(expr for _title, expr in dashboard_queries())
    for name in (
        "arb_mode",
        "arb_pnl_today_wei",
        "box:arb_opportunities_detected:rate5m",
        "box:arb_trades:rate5m",
        "box:arb_block_to_decision_seconds:p99_5m",
        "process_resident_memory_bytes",
        "arb_storage_written_bytes_total",
    ):
        assert name in exprs
    assert "capture rate: our realized profit" in dash["description"].lower()
    capture = [p for p in dash["panels"] if p.get("title", "").startswith("Capture rate")]
    assert any("box:arb_capture:ratio1h" in t["expr"] for p in capture for t in p["targets"])
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))


def test_every_alert_has_a_promtool_test_and_a_readme_entry():
    alerts = {r["alert"] for r in rule_list() if "alert" in r}
    tests = yaml.safe_load((MON / "tests" / "alerts_test.yml").read_text())["tests"]
    tested = {case["alertname"] for t in tests for case in t.get("alert_rule_test", [])}
    fired = {
        case["alertname"]
        for t in tests
        for case in t.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert alerts == tested == fired  # each alert is shown to fire (and only those exist)
    readme = (ROOT / "README.md").read_text()
    fleet = readme[readme.index("\n## Fleet") :]
    for alert in alerts:
        assert f"`{alert}`" in fleet, f"README Fleet section does not explain {alert}"


def test_alertmanager_example_routes_to_its_receivers_and_inhibits_real_alerts():
    am = yaml.safe_load((MON / "alertmanager.yml").read_text())
    receivers = {r["name"] for r in am["receivers"]}

    def routes(route):
        yield route
        for child in route.get("routes", []):
            yield from routes(child)

    for route in routes(am["route"]):
        assert route["receiver"] in receivers
    alerts = {r["alert"] for r in rule_list() if "alert" in r}
    for rule in am["inhibit_rules"]:
        for matcher in rule["source_matchers"] + rule["target_matchers"]:
            m = re.fullmatch(r'alertname(=~|=|!=)"(.+)"', matcher)
            if m is None:
                continue
            op, value = m.groups()
            hits = {a for a in alerts if re.fullmatch(value, a)}
            assert hits, f"inhibit matcher {matcher!r} names no alert"
            if op == "=~":
                for alternative in value.split("|"):
                    assert alternative == "Appliance.+" or alternative in alerts, matcher


def test_the_example_fleet_is_five_boxes_with_chain_and_box_labels():
    groups = yaml.safe_load((MON / "targets" / "fleet.yml").read_text())
    assert len(groups) == 5
    boxes = [g["labels"]["box"] for g in groups]
    assert len(set(boxes)) == 5
    assert all(g["labels"]["chain"] and len(g["targets"]) == 1 for g in groups)
    assert all(re.fullmatch(r"[\w.-]+:\d+", g["targets"][0]) for g in groups)
    config = yaml.safe_load((MON / "prometheus.yml").read_text())
    assert [job["job_name"] for job in config["scrape_configs"]] == ["arb-appliance"]


# ------------------------------------------------------------------------------- promtool
def _promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PROMTOOL, *args], cwd=MON, capture_output=True, text=True, timeout=60, check=False
    )


@needs_promtool
def test_promtool_check_config():
    r = _promtool("check", "config", "prometheus.yml")
    assert r.returncode == 0, r.stdout + r.stderr


@needs_promtool
def test_promtool_check_rules():
    r = _promtool("check", "rules", "rules/recording.yml", "rules/alerts.yml")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 10 rules found" in r.stdout and "SUCCESS: 14 rules found" in r.stdout


@needs_promtool
def test_promtool_test_rules_every_alert():
    r = _promtool("test", "rules", "tests/alerts_test.yml")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


@needs_promtool
def test_promtool_test_rules_can_fail(tmp_path):
    """A wrong expectation is reported (the test above would catch a changed rule)."""
    text = (MON / "tests" / "alerts_test.yml").read_text()
    text = text.replace("../rules/", f"{MON}/rules/").replace("9m 0s", "8m 0s")
    (tmp_path / "wrong_test.yml").write_text(text)
    r = subprocess.run(
        [PROMTOOL, "test", "rules", str(tmp_path / "wrong_test.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode != 0 and "ApplianceHeadStale" in r.stdout + r.stderr
