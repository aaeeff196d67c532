"""``arb-appliance devnet`` / ``demo`` as real subprocesses: output, signals, orphans, errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from appliance.config import load_config

pytestmark = pytest.mark.devnet

_MARK = "ARB_TEST_CLI_MARK"


def _anvils_marked(mark: str) -> list[int]:
    needle = f"{_MARK}={mark}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "cmdline").read_bytes().split(b"\0")[0].endswith(b"anvil"):
                continue
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().split(")")[-1].split()[0]
                if state != "Z":
                    pids.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return pids


class Cli:
    def __init__(self, *argv: str, stdin=subprocess.DEVNULL) -> None:
        self.mark = uuid.uuid4().hex
        env = dict(os.environ, **{_MARK: self.mark})
        env.pop("ARB_ANVIL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", *argv],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )

    def wait_line(self, stream, text: str, timeout: float = 60) -> list[str]:
        """Read lines until one contains ``text``; returns all lines read."""
        lines = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = stream.readline()
            if not line:
                break
            lines.append(line)
            if text in line:
                return lines
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        rest = (self.proc.stderr.read() if stream is not self.proc.stderr else "")[-2000:]
        raise AssertionError(
            f"never saw {text!r}; got {lines!r}; exit={self.proc.poll()}; stderr: {rest}"
        )

    def finish(self, sig: int | None = None, timeout: float = 30) -> tuple[int, str, str]:
        if sig is not None:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise
        return self.proc.returncode, out, err

    def anvils(self) -> list[int]:
        return _anvils_marked(self.mark)


def _wait_gone(cli: Cli, timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while cli.anvils() and time.monotonic() < deadline:
        time.sleep(0.05)
    return cli.anvils()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_devnet_prints_json_then_ready_and_stops_cleanly(sig, tmp_path):
    cli = Cli("devnet", "--seed", "3", "--block-time", "0.5", "--data-dir", str(tmp_path))
    try:
        cli.wait_line(cli.proc.stderr, "devnet ready")
        assert len(cli.anvils()) == 1
        time.sleep(1.2)  # a couple of blocks with simulator swaps
        code, out, err = cli.finish(sig)
    finally:
        if cli.proc.poll() is None:
            cli.proc.kill()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["chain_id"] == 31337 and doc["rpc"].startswith("http://127.0.0.1:")
    assert len(doc["pools"]) >= 10 and len(doc["factories"]) == 3 and len(doc["routers"]) == 3
    assert set(doc["accounts"]) == {"deployer", "appliance", "simulator", "competitor"}
    assert "private_key" not in out and Path(doc["key_file"]).read_text().strip()[2:] not in out
    cfg = load_config(doc["config_path"])
    assert cfg.chain.rpc == (f"{doc['rpc']}|{doc['rpc'].replace('http://', 'ws://')}",)
    assert "Traceback" not in err
    assert _wait_gone(cli) == []


def test_devnet_same_seed_same_addresses(tmp_path):
    docs = []
    for i in range(2):
        cli = Cli("devnet", "--seed", "5", "--no-simulator", "--data-dir", str(tmp_path / str(i)))
        cli.wait_line(cli.proc.stderr, "devnet ready")
        code, out, _ = cli.finish(signal.SIGINT)
        assert code == 0
        doc = json.loads(out)
        docs.append((doc["tokens"], doc["factories"], doc["routers"], doc["pools"]))
        assert _wait_gone(cli) == []
    assert docs[0] == docs[1]


def test_busy_port_is_one_line_exit_2():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        cli = Cli("devnet", "--port", str(port))
        code, out, err = cli.finish()
    assert code == 2
    assert err.strip().count("\n") == 0 and f"port {port} is busy" in err and "Traceback" not in err
    assert out == ""


def test_missing_anvil_is_one_line_exit_2(tmp_path):
    env = dict(os.environ, ARB_ANVIL=str(tmp_path / "anvil"))
    proc = subprocess.run(
        [sys.executable, "-m", "appliance", "devnet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip().count("\n") == 0
        and "anvil not found" in proc.stderr
        and "make setup" in proc.stderr
    )


@pytest.mark.parametrize("argv", [["--pools", "3"], ["--block-time", "0"]])
def test_bad_arguments_are_one_line_exit_2(argv):
    proc = subprocess.run(
        [sys.executable, "-m", "appliance", "devnet", *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and argv[0] in proc.stderr


@pytest.mark.parametrize(
    ("content", "needle"),
    [(None, "cannot read reserves file"), ("blockNumber,reserve0,reserve1\n1,2,3\n", "two rows")],
)
def test_a_bad_real_price_series_is_one_line_exit_2_before_anything_starts(
    tmp_path, content, needle
):
    series = tmp_path / "series.csv"
    if content is not None:
        series.write_text(content)
    proc = subprocess.run(
        [sys.executable, "-m", "appliance", "devnet", "--real-prices", str(series)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert needle in proc.stderr and "Traceback" not in proc.stderr


def test_anvil_dying_is_one_line_exit_1(tmp_path):
    cli = Cli("devnet", "--no-simulator", "--data-dir", str(tmp_path))
    try:
        cli.wait_line(cli.proc.stderr, "devnet ready")
        (pid,) = cli.anvils()
        os.kill(pid, signal.SIGKILL)
        code, _, err = cli.finish(timeout=30)
    finally:
        if cli.proc.poll() is None:
            cli.proc.kill()
    assert code == 1
    assert (
        "anvil exited unexpectedly" in err
        and err.strip().count("\n") == 0
        and "Traceback" not in err
    )


def test_demo_reaches_market_ready_and_sigint_leaves_nothing(tmp_path):
    cli = Cli("demo", "--data-dir", str(tmp_path), "--block-time", "0.5")
    try:
        lines = cli.wait_line(cli.proc.stdout, "market ready", timeout=60)
        assert any("starting" in ln for ln in lines)
        assert len(cli.anvils()) == 1
        time.sleep(1.0)
        code, out, err = cli.finish(signal.SIGINT)
    finally:
        if cli.proc.poll() is None:
            cli.proc.kill()
    assert code == 0, err
    assert "stopped" in out and "Traceback" not in err
    assert _wait_gone(cli) == []
