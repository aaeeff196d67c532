"""What a fleet's Prometheus needs from one box: the exporter's allow-list (real sockets on
loopback), host-only endpoint labels, and the figures behind the fleet alerts."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import httpx
import pytest
import trio
from config_texts import CHAIN, TOKENS, UNI_V2

from appliance.cli import main
from appliance.config import load_config
from appliance.config.sections import MetricsConfig, RiskConfig
from appliance.events import (
    BlockSeen,
    Candidate,
    EndpointHealth,
    Leg,
    OrderRejected,
    ReorgDetected,
    RpcHealthChanged,
)
from appliance.metrics import (
    MAX_REASONS,
    Metrics,
    device_written_bytes,
    endpoint_label,
    run_metrics,
    storage_written_bytes,
)
from appliance.risk.inputs import InventoryObserved


def value(m: Metrics, metric: str, /, **labels) -> float | None:
    return m.registry.get_sample_value(metric, labels)


async def _get(cfg: MetricsConfig, m: Metrics) -> httpx.Response:
    async with trio.open_nursery() as nursery:
        server = await nursery.start(run_metrics, cfg, m)
        async with httpx.AsyncClient() as client:
            r = await client.get(server.url)
        nursery.cancel_scope.cancel()
    return r


async def test_loopback_is_allowed_by_default():
    r = await _get(MetricsConfig(port=0), Metrics(process=False))
    assert r.status_code == 200 and "arb_mode" in r.text


async def test_a_client_outside_the_allow_list_gets_403_and_one_log_line(caplog):
    cfg = MetricsConfig(port=0, allow=("10.0.0.0/8", "192.168.1.7"))
    m = Metrics(process=False)
    with caplog.at_level(logging.WARNING, logger="appliance.metrics"):
        async with trio.open_nursery() as nursery:
            server = await nursery.start(run_metrics, cfg, m)
            async with httpx.AsyncClient() as client:
                first = await client.get(server.url)
                second = await client.get(server.url)
            nursery.cancel_scope.cancel()
    for r in (first, second):
        assert r.status_code == 403
        assert "arb_" not in r.text  # not a byte of the metrics
    refusals = [rec for rec in caplog.records if "refused a scrape from 127.0.0.1" in rec.message]
    assert len(refusals) == 1  # once per address, not once per scrape


async def test_an_allow_list_naming_loopback_serves_it():
    r = await _get(MetricsConfig(port=0, allow=("10.0.0.0/8", "127.0.0.1/32")), Metrics())
    assert r.status_code == 200


async def test_an_empty_allow_list_refuses_everyone():
    r = await _get(MetricsConfig(port=0, allow=()), Metrics(process=False))
    assert r.status_code == 403


_CONFIG = CHAIN + UNI_V2 + TOKENS + '\n[metrics]\nhost = "0.0.0.0"\n'


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "prometheus.lan", ""])
def test_a_bad_network_is_one_line_naming_the_key_exit_2(tmp_path, capsys, bad):
    path = tmp_path / "box.toml"
    path.write_text(_CONFIG + f'allow = ["10.0.0.0/8", "{bad}"]\n')
    assert main(["check-config", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "metrics.allow" in err and repr(bad) in err and str(path) in err


def test_a_fleet_allow_list_is_accepted(tmp_path, capsys):
    path = tmp_path / "box.toml"
    path.write_text(_CONFIG + 'allow = ["10.0.0.5/32", "192.168.1.0/24", "fd00::/8"]\n')
    assert main(["check-config", "--config", str(path)]) == 0
    assert load_config(path).metrics.allow == ("10.0.0.5/32", "192.168.1.0/24", "fd00::/8")


@pytest.mark.parametrize(
    "given, label",
    [
        ("rpc.example:443", "rpc.example:443"),
        ("https://eth.example/v2/SECRETKEY", "eth.example"),
        ("https://user:SECRET@eth.example:8545/?apikey=SECRET#x", "eth.example:8545"),
        ("eth.example/SECRET", "eth.example"),
    ],
)
def test_endpoint_labels_are_host_only(given, label):
    assert endpoint_label(given) == label


def test_a_url_handed_to_the_metrics_never_becomes_a_label():
    m = Metrics(process=False)
    m.observe(RpcHealthChanged((EndpointHealth("https://u:KEY1@eth.example/v2/KEY2", True, 5.0),)))
    text = m.render().decode()
    assert "KEY1" not in text and "KEY2" not in text
    assert value(m, "arb_rpc_healthy", endpoint="eth.example") == 1


def test_head_timestamps_follow_heads_and_reorgs():
    wall = iter([1000.0, 1010.0, 1020.0])
    m = Metrics(process=False, wall_clock=lambda: next(wall))
    assert value(m, "arb_head_seen_timestamp_seconds") == 1000.0  # the start until a head
    assert value(m, "arb_head_block_timestamp_seconds") == 0
    m.observe(BlockSeen(5, "0x5", "0x4", 1_700_000_060, None))
    assert value(m, "arb_head_seen_timestamp_seconds") == 1010.0
    assert value(m, "arb_head_block_timestamp_seconds") == 1_700_000_060
    m.observe(ReorgDetected(4, 5, BlockSeen(6, "0x6", "0x4", 1_700_000_072, None)))
    assert value(m, "arb_head_seen_timestamp_seconds") == 1020.0
    assert value(m, "arb_head_block") == 6


def test_gas_balance_is_absent_until_read_then_follows_the_inventory():
    m = Metrics(process=False)
    m.observe(InventoryObserved({"0x" + "11" * 20: 5}))  # no gas figure: nothing to show
    assert b"arb_gas_balance_wei" not in m.render()
    m.observe(InventoryObserved({}, gas_balance_wei=3 * 10**16))
    assert value(m, "arb_gas_balance_wei") == 3e16
    m.observe(InventoryObserved({}))  # a read without gas keeps the last figure
    assert value(m, "arb_gas_balance_wei") == 3e16


def test_loss_limits_come_from_the_risk_config_and_are_absent_without_it():
    assert b"arb_daily_loss_limit_wei" not in Metrics(process=False).render()
    m = Metrics(process=False, risk=RiskConfig(daily_loss_wei=7 * 10**16, session_loss_wei=10**17))
    assert value(m, "arb_daily_loss_limit_wei") == 7e16
    assert value(m, "arb_session_loss_limit_wei") == 1e17


def test_storage_written_bytes_from_proc_io(tmp_path):
    io = tmp_path / "io"
    io.write_text("rchar: 1\nwchar: 2\nread_bytes: 3\nwrite_bytes: 409600\n")
    m = Metrics(process=False, proc_io=io)
    assert value(m, "arb_storage_written_bytes_total") == 409600
    io.write_text("write_bytes: 819200\n")
    assert value(m, "arb_storage_written_bytes_total") == 819200  # read at scrape time
    assert storage_written_bytes(tmp_path / "absent") is None
    assert b"arb_storage_written_bytes" not in Metrics(process=False, proc_io=tmp_path).render()


def test_device_writes_of_the_journal_s_block_device(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    dev = os.stat(data).st_dev
    sys_block = tmp_path / "sys" / "dev" / "block"
    card = tmp_path / "sys" / "devices" / "mmcblk0" / "mmcblk0p2"
    card.mkdir(parents=True)
    sys_block.mkdir(parents=True)
    (sys_block / f"{os.major(dev)}:{os.minor(dev)}").symlink_to(card)
    (card / "stat").write_text("  4000  0  90000  300  2500  0  81920  900  0  700  1200\n")
    m = Metrics(process=False, data_dir=data, sys_block=sys_block)
    written = value(m, "arb_storage_device_written_bytes_total", device="mmcblk0p2")
    assert written == 81920 * 512  # sectors are 512 bytes in /sys whatever the card's blocks
    # no such device (tmpfs, overlay): no series rather than a wrong one
    empty = tmp_path / "empty"
    empty.mkdir()
    bare = Metrics(process=False, data_dir=data, sys_block=empty)
    assert b"arb_storage_device_written_bytes" not in bare.render()


def test_this_machine_s_journal_device_if_it_has_one(tmp_path):
    found = device_written_bytes(tmp_path)
    if found is None:
        pytest.skip(f"{tmp_path} is not on a block device here (tmpfs or overlay)")
    device, written = found
    m = Metrics(process=False, data_dir=tmp_path)
    assert value(m, "arb_storage_device_written_bytes_total", device=device) >= written > 0


def test_this_process_has_a_real_write_count():
    if not Path("/proc/self/io").exists():
        pytest.skip("no /proc/self/io on this system")
    assert storage_written_bytes() is not None
    assert value(Metrics(process=False), "arb_storage_written_bytes_total") >= 0


def test_build_info_names_the_version():
    from appliance import __version__

    assert value(Metrics(process=False), "arb_build_info", version=__version__) == 1


def test_refusal_reasons_are_a_bounded_label():
    token = "0x" + "22" * 20
    c = Candidate(1, (Leg("0x" + "11" * 20, token, token, 30),), token, 10, 12, 1, 1)
    m = Metrics(process=False)
    for i in range(MAX_REASONS + 10):
        m.observe(OrderRejected(c, f"reason_{i}"))
    m.observe(OrderRejected(c, "reason_0"))  # a known one keeps its own label
    values = {
        s.labels["reason"]
        for family in m.registry.collect()
        if family.name == "arb_decisions"
        for s in family.samples
        if s.name == "arb_decisions_total"
    }
    assert len(values) == MAX_REASONS + 1 and "other" in values
    assert value(m, "arb_decisions_total", reason="other") == 10
    assert value(m, "arb_decisions_total", reason="reason_0") == 2
