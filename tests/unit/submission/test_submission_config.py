"""``[execution] submit / relays / searcher_key_file``: one line naming file and key, exit 2, for
every bad combination; relay URLs redacted in check-config like RPC URLs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from config_texts import TWO_V2_DEXES
from eth_utils import keccak

from appliance.cli import main

BASE = TWO_V2_DEXES
RELAY = "https://relay.example.org/v1/SECRETRELAYTOKEN1234?apikey=HIDDENVALUE99"


def _key(path: Path, name: str) -> Path:
    path.write_text("0x" + keccak(text=f"arb-appliance test: {name}").hex() + "\n")
    os.chmod(path, 0o600)
    return path


def _check(tmp_path: Path, text: str, capsys) -> tuple[int, str, str]:
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    code = main(["check-config", "--config", str(cfg)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("execution", "key", "words"),
    [
        ('submit = "bundle"', "execution.relays", "is required when execution.submit = 'bundle'"),
        ('submit = "private"', "execution.relays", "is required when execution.submit = 'private'"),
        ('submit = "mempool"', "execution.submit", "must be one of 'public', 'private', 'bundle'"),
        ('relays = ["ftp://relay.example.org"]', "execution.relays", "scheme must be http"),
        (
            'submit = "bundle"\nrelays = ["https://a.example.org", "https://a.example.org/"]',
            "execution.relays[1]",
            "lists a relay twice",
        ),
        ("coinbase_share = 0.5", "execution.coinbase_share", "applies to execution.submit"),
        (
            'submit = "bundle"\nrelays = ["https://a.example.org"]\ncoinbase_share = 0.7\n'
            "bid_share = 0.5",
            "execution.coinbase_share",
            "exceeds 1",
        ),
        (
            'submit = "bundle"\nrelays = ["https://a.example.org"]\n'
            'private_rpc = "https://p.example.org"',
            "execution.private_rpc",
            "cannot be combined",
        ),
        ("bid_share = 1.5", "execution.bid_share", "must be <= 1"),
    ],
)
def test_bad_submission_settings_are_one_line_exit_2(tmp_path, capsys, execution, key, words):
    code, _, err = _check(tmp_path, BASE + "\n[execution]\n" + execution + "\n", capsys)
    assert code == 2
    assert err.count("\n") == 1 and f": {key}: " in err and words in err, err


def test_live_bundle_needs_a_searcher_key_and_refuses_the_trading_key(tmp_path, capsys):
    trading = _key(tmp_path / "trading.key", "trading")
    live = BASE + f'\n[strategy]\nmode = "live"\n\n[account]\nkey_file = "{trading}"\n'
    bundle = f'\n[execution]\nsubmit = "bundle"\nrelays = ["{RELAY}"]\n'
    code, _, err = _check(tmp_path, live + bundle, capsys)
    assert code == 2 and "execution.searcher_key_file: is required" in err
    code, _, err = _check(tmp_path, live + bundle + f'searcher_key_file = "{trading}"\n', capsys)
    assert code == 2 and "holds the trading key" in err and err.count("\n") == 1
    loose = _key(tmp_path / "loose.key", "searcher")
    os.chmod(loose, 0o644)
    code, _, err = _check(tmp_path, live + bundle + f'searcher_key_file = "{loose}"\n', capsys)
    assert code == 2 and "execution.searcher_key_file" in err and "0644" in err
    os.chmod(loose, 0o600)
    code, out, err = _check(tmp_path, live + bundle + f'searcher_key_file = "{loose}"\n', capsys)
    assert code == 0, err
    assert 'execution.searcher_key_file = "<redacted>"' in out


def test_relay_urls_are_redacted_in_check_config(tmp_path, capsys):
    text = BASE + f'\n[execution]\nsubmit = "bundle"\nrelays = ["{RELAY}"]\n'
    code, out, err = _check(tmp_path, text, capsys)
    assert code == 0, err
    assert "SECRETRELAYTOKEN1234" not in out and "HIDDENVALUE99" not in out
    assert "relay.example.org" in out and 'execution.submit = "bundle"' in out
