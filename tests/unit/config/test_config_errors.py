"""Bad configs: each gives exactly one line on stderr naming file and key, and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from config_texts import TWO_V2_DEXES, WETH

from appliance.cli import main

GOOD = TWO_V2_DEXES


# (id, edit applied to GOOD, key named in the message, words of the reason)
BAD: list[tuple[str, str, str, str]] = [
    ("unknown-top", GOOD + "\n[bogus]\nx = 1\n", "bogus", "unknown key"),
    (
        "unknown-chain-key",
        GOOD.replace("chain_id = 1", "chain_id = 1\nchainid = 2"),
        "chain.chainid",
        "unknown key",
    ),
    (
        "chain-id-string",
        GOOD.replace("chain_id = 1", 'chain_id = "1"'),
        "chain.chain_id",
        "must be an integer, not '1'",
    ),
    (
        "chain-id-zero",
        GOOD.replace("chain_id = 1", "chain_id = 0"),
        "chain.chain_id",
        "must be >= 1",
    ),
    (
        "chain-id-bool",
        GOOD.replace("chain_id = 1", "chain_id = true"),
        "chain.chain_id",
        "must be an integer",
    ),
    ("missing-chain-id", GOOD.replace("chain_id = 1\n", ""), "chain.chain_id", "is required"),
    (
        "rpc-not-list",
        GOOD.replace('rpc = ["https://rpc.example.org"]', 'rpc = "https://rpc.example.org"'),
        "chain.rpc",
        "must be a list",
    ),
    (
        "rpc-empty",
        GOOD.replace('rpc = ["https://rpc.example.org"]', "rpc = []"),
        "chain.rpc",
        "at least 1",
    ),
    (
        "rpc-bad-scheme",
        GOOD.replace("https://rpc.example.org", "ftp://rpc.example.org"),
        "chain.rpc",
        "http or https or ws or wss, not 'ftp'",
    ),
    (
        "rpc-pair-of-two-http",
        GOOD.replace("https://rpc.example.org", "https://a.example.org|http://b.example.org"),
        "chain.rpc",
        "one http(s) URL and one ws(s) URL",
    ),
    (
        "rpc-three-urls",
        GOOD.replace("https://rpc.example.org", "https://a|wss://b|wss://c"),
        "chain.rpc",
        "not 3 URLs",
    ),
    (
        "rpc-pair-bad-ws-port",
        GOOD.replace("https://rpc.example.org", "https://a.example.org|wss://b:99999"),
        "chain.rpc",
        "bad port",
    ),
    ("rpc-no-host", GOOD.replace("https://rpc.example.org", "http://"), "chain.rpc", "no host"),
    (
        "rpc-bad-port",
        GOOD.replace("https://rpc.example.org", "http://h:99999"),
        "chain.rpc",
        "bad port",
    ),
    (
        "missing-chain",
        GOOD.replace('[chain]\nchain_id = 1\nrpc = ["https://rpc.example.org"]\n', ""),
        "chain",
        "is required",
    ),
    (
        "no-dex",
        GOOD.split("[[dex]]")[0] + '[tokens]\nbase = ["' + WETH + '"]\n',
        "dex",
        "is required",
    ),
    (
        "factory-lowercase",
        GOOD.replace(
            "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f",
            "0x5c69bee701ef814a2b6a3edd4b1652cb9cc5aa6f",
        ),
        "dex[0].factory",
        "not EIP-55 checksummed",
    ),
    (
        "factory-short",
        GOOD.replace("0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f", "0x5C69bEe7"),
        "dex[0].factory",
        "20-byte hex address",
    ),
    (
        "fee-too-high",
        GOOD.replace('name = "uni"', 'name = "uni"\nfee_bps = 5000'),
        "dex[0].fee_bps",
        "must be <= 1000",
    ),
    (
        "fee-negative",
        GOOD.replace('name = "uni"', 'name = "uni"\nfee_bps = -1'),
        "dex[0].fee_bps",
        "must be >= 0",
    ),
    (
        "dup-dex-name",
        GOOD.replace('name = "sushi"', 'name = "uni"'),
        "dex[1].name",
        "duplicate DEX name 'uni'",
    ),
    (
        "dup-factory",
        GOOD.replace(
            "0xC0AEe478e3658e2610c5F7A4A2E1777cE9e4f2Ac",
            "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f",
        ),
        "dex[1].factory",
        "listed twice",
    ),
    ("base-empty", GOOD.replace(f'base = ["{WETH}"]', "base = []"), "tokens.base", "at least 1"),
    (
        "base-dup",
        GOOD.replace(f'base = ["{WETH}"]', f'base = ["{WETH}", "{WETH}"]'),
        "tokens.base",
        "lists a token twice",
    ),
    ("deny-base", GOOD + f'deny = ["{WETH}"]\n', "tokens.deny", "denies base token"),
    (
        "mode-bad",
        GOOD + '\n[strategy]\nmode = "yolo"\n',
        "strategy.mode",
        "one of 'paper', 'live', not 'yolo'",
    ),
    (
        "live-without-key",
        GOOD + '\n[strategy]\nmode = "live"\n',
        "account.key_file",
        "required when strategy.mode = 'live'",
    ),
    ("max-hops", GOOD + "\n[strategy]\nmax_hops = 7\n", "strategy.max_hops", "must be <= 4"),
    (
        "hw-pin-range",
        GOOD + "\n[hardware]\nkill_switch_pin = 40\n",
        "hardware.kill_switch_pin",
        "must be <= 27",
    ),
    ("hw-pin-clash", GOOD + "\n[hardware]\nred_pin = 17\n", "hardware", "pins must differ"),
    ("metrics-port", GOOD + "\n[metrics]\nport = 70000\n", "metrics.port", "must be <= 65535"),
    (
        "telegram-no-chat",
        GOOD + '\n[[alerts.webhooks]]\nkind = "telegram"\nurl = "https://api.telegram.org/botX"\n',
        "alerts.webhooks[0]",
        "needs chat_id",
    ),
    (
        "webhook-kind",
        GOOD + '\n[[alerts.webhooks]]\nkind = "pager"\nurl = "https://h.example"\n',
        "alerts.webhooks[0].kind",
        "must be one of",
    ),
    (
        "tip-over-cap",
        GOOD + "\n[execution]\ntip_gwei = 500.0\nmax_fee_gwei = 100.0\n",
        "execution.tip_gwei",
        "exceeds execution.max_fee_gwei",
    ),
    (
        "fee-over-risk-cap",
        GOOD + "\n[execution]\nmax_fee_gwei = 500.0\n[risk]\nmax_gas_price_gwei = 100.0\n",
        "execution.max_fee_gwei",
        "exceeds risk.max_gas_price_gwei",
    ),
    (
        "nan",
        GOOD + "\n[chain]\n"
        if False
        else GOOD.replace("chain_id = 1", "chain_id = 1\nblock_time_s = nan"),
        "chain.block_time_s",
        "finite number",
    ),
    ("syntax", GOOD + "\n[chain\n", "(syntax)", "invalid TOML"),
    ("path-key", "path = 'x'\n" + GOOD, "path", "unknown key"),
]


@pytest.mark.parametrize(("case", "text", "key", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_config_one_line_exit_2(tmp_path: Path, capsys, case, text, key, reason) -> None:
    cfg = tmp_path / "arb-appliance.toml"
    cfg.write_text(text)
    code = main(["check-config", "--config", str(cfg)])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert f"{cfg}: {key}: " in lines[0], lines[0]
    assert reason in lines[0], lines[0]
    assert "Traceback" not in err


def test_good_config_passes(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(GOOD)
    assert main(["check-config", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "chain.chain_id = 1" in out
    assert "risk.daily_reset_hour_utc = 0" in out


def _key_config(tmp_path: Path, mode: int) -> Path:
    key = tmp_path / "key"
    key.write_text("0x" + "11" * 32 + "\n")
    key.chmod(mode)
    cfg = tmp_path / "c.toml"
    cfg.write_text(GOOD + f'\n[account]\nkey_file = "{key}"\n')
    return cfg


def test_key_file_world_readable_refused(tmp_path: Path, capsys) -> None:
    cfg = _key_config(tmp_path, 0o644)
    assert main(["check-config", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "account.key_file" in err and "mode 0644" in err and "chmod 600" in err
    assert "11" * 32 not in err


def test_key_file_missing(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(GOOD + '\n[account]\nkey_file = "nope.key"\n')
    assert main(["check-config", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'nope.key'}" in err and "does not exist" in err


def test_key_file_redacted(tmp_path: Path, capsys) -> None:
    cfg = _key_config(tmp_path, 0o600)
    assert main(["check-config", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert 'account.key_file = "<redacted>"' in out
    assert "11" * 32 not in out


def test_webhook_url_redacted(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "c.toml"
    secret = "https://api.telegram.org/bot123456:SECRETTOKEN"
    cfg.write_text(
        GOOD + f'\n[[alerts.webhooks]]\nkind = "telegram"\nurl = "{secret}"\nchat_id = "42"\n'
    )
    assert main(["check-config", "--config", str(cfg), "--json"]) == 0
    out = capsys.readouterr().out
    assert "SECRETTOKEN" not in out and "<redacted>" in out


@pytest.mark.parametrize("what", ["missing", "directory", "binary"])
def test_unreadable_files(tmp_path: Path, capsys, what: str) -> None:
    path = tmp_path / "c.toml"
    if what == "directory":
        path.mkdir()
    elif what == "binary":
        path.write_bytes(b"\xff\xfe\x00junk")
    assert main(["check-config", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(path) in err


def test_subprocess_no_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(GOOD.replace("chain_id = 1", "chain_id = -5"))
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, "-m", "appliance", "check-config", "--config", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"arb-appliance check-config: {cfg}: chain.chain_id: must be >= 1, not -5"
    )


def test_usage_error_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2


@pytest.mark.parametrize(
    "example",
    sorted((Path(__file__).parents[3] / "appliance/config/examples").glob("*.toml")),
    ids=lambda p: p.stem,
)
def test_shipped_examples_are_valid(example: Path, capsys) -> None:
    assert main(["check-config", "--config", str(example)]) == 0


def test_bad_webhook_url_error_hides_token(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        GOOD + '\n[[alerts.webhooks]]\nkind = "generic"\nurl = "ftp://hooks.example/SECRETTOKEN"\n'
    )
    assert main(["check-config", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "alerts.webhooks[0].url" in err and "SECRETTOKEN" not in err
