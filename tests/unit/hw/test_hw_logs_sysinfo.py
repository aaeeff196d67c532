"""Logging setup (journald fields, text fallback, redaction) and the /proc, /sys readers."""

from __future__ import annotations

import io
import logging

import pytest
from eth_utils import keccak

from appliance import sysinfo
from appliance.logs import redact, setup_logging, under_systemd

KEY = "0x" + keccak(text="arb-appliance test key").hex()  # derived: no key in the repo
TG = "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"


@pytest.fixture
def logger():
    log = logging.getLogger("arb-test-logs")
    log.propagate = False
    yield log
    for h in list(log.handlers):
        log.removeHandler(h)


def test_redact_patterns():
    assert KEY not in redact(f"key={KEY}") and f"{KEY[:6]}…{KEY[-4:]}" in redact(f"key={KEY}")
    assert KEY[2:] not in redact(f"raw {KEY[2:]} end")
    assert "AAHdqTcv" not in redact(TG) and "api.telegram.org/bot***" in redact(TG)
    assert (
        redact("https://discord.com/api/webhooks/123/abcDEF-xyz")
        == "https://discord.com/api/webhooks/123/***"
    )
    assert (
        redact("https://hooks.slack.com/services/T0/B0/XXXX")
        == "https://hooks.slack.com/services/***"
    )
    assert redact("http://alice:pw@rpc.example/v1") == "http://***@rpc.example/v1"
    assert redact("my api key is hunter2", ["hunter2"]) == "my api key is [REDACTED]"
    assert (
        redact("block 19000123 pool 0x" + "ab" * 20) == "block 19000123 pool 0x" + "ab" * 20
    )  # addresses stay


def test_text_mode_masks_args_exceptions_and_shows_fields(logger):
    out = io.StringIO()
    redaction = setup_logging(logging.DEBUG, env={}, stream=out, logger=logger)
    redaction.add_secret("s3cr3t-value")
    logger.info(
        "loaded key %s for %s",
        KEY,
        "s3cr3t-value",
        extra={"MODE": "NORMAL", "BLOCK": 42, "TX": "0xabc"},
    )
    try:
        raise ValueError(f"bad key {KEY}")
    except ValueError:
        logger.exception("failed")
    text = out.getvalue()
    assert KEY not in text and KEY[2:] not in text and "s3cr3t-value" not in text
    assert "mode=NORMAL block=42 tx=0xabc" in text
    assert f"ValueError: bad key {KEY[:6]}…{KEY[-4:]}" in text


def test_journald_mode_sends_structured_fields(logger):
    sent: list[tuple[str, dict]] = []
    setup_logging(
        logging.INFO,
        env={"INVOCATION_ID": "abc"},
        journal_sender=lambda message, **fields: sent.append((message, fields)),
        logger=logger,
    )
    logger.warning(
        "trade %s sent with %s",
        "o1",
        KEY,
        extra={"MODE": "REDUCED", "BLOCK": 7, "TX": "0x" + "12" * 32},
    )
    (message, fields) = sent[0]
    assert KEY not in message and KEY not in repr(fields)
    assert (
        fields["MODE"] == "REDUCED" and fields["BLOCK"] == 7 and fields["TX"].startswith("0x1212")
    )
    assert fields["SYSLOG_IDENTIFIER"] == "arb-appliance" and fields["PRIORITY"] == "4"
    assert "CODE_ARGS" not in fields and "args" not in fields and "msg" not in fields


def test_setup_twice_replaces_its_handler_and_quietens_httpx(logger):
    setup_logging(env={}, stream=io.StringIO(), logger=logger)
    setup_logging(env={}, stream=io.StringIO(), logger=logger)
    assert len(logger.handlers) == 1
    assert logging.getLogger("httpx").level == logging.WARNING
    assert under_systemd({"JOURNAL_STREAM": "8:123"}) and not under_systemd({})


def test_sysinfo_reads(tmp_path):
    assert sysinfo.rss_bytes() > 1_000_000
    assert sysinfo.process_cpu_seconds() >= 0
    assert sysinfo.rss_bytes(pid=2**22 + 7) is None  # no such process
    meter = sysinfo.CpuMeter()
    sum(i * i for i in range(200_000))
    assert meter.percent() >= 0
    zone = tmp_path / "thermal_zone0"
    zone.mkdir()
    (zone / "temp").write_text("51234\n")
    (tmp_path / "thermal_zone1").mkdir()
    (tmp_path / "thermal_zone1" / "temp").write_text("garbage")
    assert sysinfo.board_temperature_c(tmp_path) == pytest.approx(51.234)
    assert sysinfo.board_temperature_c(tmp_path / "absent") is None
    assert (
        sysinfo.disk_free_bytes(tmp_path) > 0 and sysinfo.disk_free_bytes(tmp_path / "no") is None
    )
    sample = sysinfo.sample(tmp_path, meter)
    assert sample.rss_bytes and sample.uptime_s and sample.uptime_s > 0
