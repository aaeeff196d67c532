"""Hostile config files and secrets in RPC URLs, through the real ``arb-appliance`` process.

Before: a symlink loop and 5,000 nested ``[`` were tracebacks (OSError, RecursionError),
``/dev/zero`` was read until memory ran out (4 GB in 6 s), ``check-config`` accepted key files
that ``run`` refused, six RPC endpoints were accepted while the state file shows four,
``http://[::1`` was a ValueError traceback, and ``check-config`` printed RPC credentials.
"""

from __future__ import annotations

import io
import json
import logging
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.config import load_config
from appliance.config.sections import MAX_RPC_ENDPOINTS, ChainConfig
from appliance.config.urls import redact_url
from appliance.logs import register_config_secrets, setup_logging
from appliance.store.statefile import MAX_RPC

ARB = str(Path(sys.executable).with_name("arb-appliance"))
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"

GOOD = """
[chain]
chain_id = 31337
rpc = [{rpc}]

[[dex]]
name = "uni"
factory = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"

[tokens]
base = ["{weth}"]

[account]
executor = "{weth}"
{key}

[hardware]
enabled = false

[metrics]
enabled = false

[storage]
data_dir = "{tmp}/data"
runtime_dir = "{tmp}/run"
"""

SECRETS = {
    "https://alice:hunter2pass@rpc.example.org/": "hunter2pass",
    "https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef": "0123456789abcdef0123456789abcdef",
    "https://eth-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWx": "AbCdEfGhIjKlMnOpQrStUvWx",
    "https://rpc.example.org/?apikey=SeCrEtKeY123456": "SeCrEtKeY123456",
}


def config(tmp: Path, rpc: list[str] | None = None, key: Path | None = None) -> Path:
    urls = ", ".join(json.dumps(u) for u in (rpc or ["http://127.0.0.1:9"]))
    key_line = f'key_file = "{key}"' if key else ""
    path = tmp / "arb-appliance.toml"
    path.write_text(GOOD.format(rpc=urls, weth=WETH, key=key_line, tmp=tmp))
    return path


def _one_gigabyte() -> None:  # the /dev/zero case must not be able to take the machine down
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def arb(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ARB, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_one_gigabyte,
    )


def refusal(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    line = refusal(arb("check-config", "--config", str(tmp_path / "a.toml")))
    assert "a.toml: (file): is a symlink loop" in line


def test_deeply_nested_arrays(tmp_path: Path) -> None:
    path = tmp_path / "nested.toml"
    path.write_text("a = " + "[" * 5000)
    assert "nested too deeply" in refusal(arb("check-config", "--config", str(path)))


def test_dev_zero_is_not_read(tmp_path: Path) -> None:
    line = refusal(arb("check-config", "--config", "/dev/zero"))
    assert "/dev/zero: (file): is not a regular file (a character device)" in line


def test_fifo_without_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "cfg.fifo"
    os.mkfifo(fifo)
    assert "a FIFO" in refusal(arb("check-config", "--config", str(fifo)))


def test_oversized_config(tmp_path: Path) -> None:
    path = config(tmp_path)
    with path.open("a") as f:
        f.write("# padding\n" * 200_000)  # 2 MB of comments: valid TOML, far beyond a config
    assert "at most 1048576 bytes" in refusal(arb("check-config", "--config", str(path)))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("0x" + "zz" * 32, "not all hex"),
        ("0x1234", "found 6 characters"),
        ("0x" + "00" * 32, "does not hold a valid secp256k1 key"),
        ("0x" + "ff" * 32, "does not hold a valid secp256k1 key"),  # above the curve order
        ("0x" + "11" * 32 + "\n0x" + "22" * 32, "exactly one line, found 2"),
    ],
    ids=["bad-hex", "short", "all-zero", "above-order", "two-lines"],
)
def test_check_config_refuses_the_keys_run_refuses(
    tmp_path: Path, content: str, reason: str
) -> None:
    key = tmp_path / "trading.key"
    key.write_text(content + "\n")
    key.chmod(0o600)
    cfg = config(tmp_path, key=key)
    checked = refusal(arb("check-config", "--config", str(cfg)))
    assert "account.key_file" in checked and reason in checked
    assert content.splitlines()[0][2:] not in checked  # the content is never quoted
    ran = refusal(arb("run", "--config", str(cfg)))
    assert ran.split(": ", 1)[1] == checked.split(": ", 1)[1]  # the same reason, word for word


def test_endpoint_count_capped_at_what_the_state_file_shows(tmp_path: Path) -> None:
    assert MAX_RPC_ENDPOINTS == MAX_RPC
    four = [f"http://127.0.0.1:{9000 + i}" for i in range(MAX_RPC)]
    ok = arb("check-config", "--config", str(config(tmp_path, rpc=four)))
    assert ok.returncode == 0, ok.stderr
    line = refusal(
        arb("check-config", "--config", str(config(tmp_path, rpc=[*four, four[0] + "/x"])))
    )
    assert "chain.rpc: lists 5 items; at most 4 are supported" in line
    assert (
        "at most 4"
        in {f.name: f for f in ChainConfig.__dataclass_fields__.values()}["rpc"].metadata["doc"]
    )


@pytest.mark.parametrize("command", ["check-config", "run"])
def test_malformed_url_is_one_line(tmp_path: Path, command: str) -> None:
    line = refusal(arb(command, "--config", str(config(tmp_path, rpc=["http://[::1"]))))
    assert "chain.rpc: URL is malformed" in line


def test_check_config_redacts_rpc_credentials(tmp_path: Path) -> None:
    cfg = config(tmp_path, rpc=list(SECRETS))
    for extra in ((), ("--json",)):
        proc = arb("check-config", "--config", str(cfg), *extra)
        assert proc.returncode == 0, proc.stderr
        for secret in SECRETS.values():
            assert secret not in proc.stdout + proc.stderr
        assert "mainnet.infura.io/v3/***" in proc.stdout
        assert "rpc.example.org/?apikey=***" in proc.stdout
        assert "https://***@rpc.example.org/" in proc.stdout


def test_config_errors_never_quote_rpc_credentials(tmp_path: Path) -> None:
    bad = "ftp://alice:hunter2pass@rpc.example.org/v3/0123456789abcdef0123456789abcdef"
    line = refusal(arb("check-config", "--config", str(config(tmp_path, rpc=[bad]))))
    assert "hunter2pass" not in line and "0123456789abcdef0123456789abcdef" not in line
    assert "rpc.example.org" in line


def test_run_logs_carry_no_rpc_credentials(tmp_path: Path) -> None:
    """A real run against these (unreachable, local) URLs, at DEBUG: stderr holds no secret."""
    local = [
        u.replace("rpc.example.org", "127.0.0.1:9")
        .replace("mainnet.infura.io", "127.0.0.1:9")
        .replace("eth-mainnet.g.alchemy.com", "127.0.0.1:9")
        for u in SECRETS
    ]
    proc = arb("run", "--config", str(config(tmp_path, rpc=local)), "--log-level", "DEBUG")
    assert proc.returncode != 0 and "no healthy RPC endpoint" in proc.stderr
    for secret in SECRETS.values():
        assert secret not in proc.stderr


def test_log_filter_masks_registered_url_secrets_anywhere(tmp_path: Path) -> None:
    """What an httpx error or a traceback would print: the URL in full, masked on the way out."""
    cfg = load_config(config(tmp_path, rpc=list(SECRETS)))
    stream = io.StringIO()
    logger = logging.getLogger("test.hostile.redaction")
    logger.propagate = False
    redaction = setup_logging(logging.DEBUG, env={}, stream=stream, logger=logger)
    register_config_secrets(redaction, cfg)
    for url in SECRETS:
        logger.error("request to %s failed", url)
        try:
            raise ConnectionError(f"cannot connect to {url}")
        except ConnectionError:
            logger.exception("endpoint down")
    logger.warning("bare key 0123456789abcdef0123456789abcdef and password hunter2pass")
    text = stream.getvalue()
    for secret in SECRETS.values():
        assert secret not in text
    assert "rpc.example.org" in text and "mainnet.infura.io/v3/" in text  # hosts stay readable


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p4ssw0rd@h.example/x", "https://***@h.example/x"),
        ("https://h.example/v3/short", "https://h.example/v3/***"),
        ("https://h.example/quicknode0123456789abcdef/", "https://h.example/***/"),
        ("https://h.example/rpc?key=abc&chain=1", "https://h.example/rpc?key=***&chain=***"),
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ("http://[::1", "<malformed URL>"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
