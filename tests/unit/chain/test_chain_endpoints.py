"""``chain.rpc`` entries: one URL (http(s) polled, ws(s) streamed) or an "http-url|ws-url" pair."""

from __future__ import annotations

import logging

import pytest

from appliance.chain.bloom import bloom_bits, bloom_from_hex, may_contain
from appliance.config.checks import rpc_endpoint, split_rpc_endpoint


@pytest.mark.parametrize(
    ("entry", "split"),
    [
        ("http://127.0.0.1:8545", ("http://127.0.0.1:8545", None)),
        ("wss://eth.example.org/v3/KEY", (None, "wss://eth.example.org/v3/KEY")),
        (
            "https://a.example.org|wss://b.example.org",
            ("https://a.example.org", "wss://b.example.org"),
        ),
        ("ws://h:8546 | http://h:8545", ("http://h:8545", "ws://h:8546")),
    ],
)
def test_entries_split_into_http_and_ws(entry, split):
    assert rpc_endpoint(entry) is None
    assert split_rpc_endpoint(entry) == split


def test_bloom_bits_match_the_yellow_paper_layout():
    # a bloom holding exactly one value's bits contains it, and a different value almost surely not
    mask = bloom_bits(bytes(20))
    assert bin(mask).count("1") in (1, 2, 3)
    bloom = bloom_from_hex("0x" + f"{mask:0512x}")
    assert may_contain(bloom, mask)
    other = bloom_bits(b"\x01" * 20)
    assert other != mask and not may_contain(bloom, other)
    assert not may_contain(0, mask)
    with pytest.raises(ValueError):
        bloom_from_hex("0x1234")


def test_a_pair_is_redacted_and_its_secrets_registered_per_url():
    from appliance.config.checks import redact_rpc_endpoint
    from appliance.logs import RedactionFilter, register_config_secrets

    key, ws_key = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
    pair = f"https://mainnet.infura.io/v3/{key}|wss://mainnet.infura.io/ws/v3/{ws_key}"
    shown = redact_rpc_endpoint(pair)
    assert key not in shown and ws_key not in shown and shown.count("mainnet.infura.io") == 2
    assert rpc_endpoint("https://a|ws://b:99999") == "URL has a bad port: 'ws://b:99999'"

    class Cfg:
        class chain:
            rpc = (pair,)

    redaction = RedactionFilter()
    register_config_secrets(redaction, Cfg)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "GET %s and %s", None, None)
    record.args = (f"https://mainnet.infura.io/v3/{key}", ws_key)
    redaction.filter(record)
    masked = record.getMessage()
    assert key not in masked and ws_key not in masked
