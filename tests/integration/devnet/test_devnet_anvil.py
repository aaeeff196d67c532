"""AnvilNode: free ports, one-line errors, no orphans."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from appliance.devnet import AnvilFailed, AnvilMissing, AnvilNode, PortBusy

pytestmark = pytest.mark.devnet


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_anvil_fixture_answers(anvil):
    assert anvil.running and anvil.url.startswith("http://127.0.0.1:")
    assert os.getpgid(anvil.pid) == anvil.pid  # its own process group


def test_busy_port_is_one_line(anvil):
    node = AnvilNode(port=anvil.port)
    with pytest.raises(PortBusy) as info:
        node.start()
    msg = str(info.value)
    assert f"port {anvil.port} is busy" in msg and "\n" not in msg and info.value.exit_code == 2
    assert not node.running


def test_random_port_retries_when_taken(monkeypatch):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    ports = iter([taken.getsockname()[1]])
    from appliance.devnet import anvil as anvil_module

    real = anvil_module.free_port
    monkeypatch.setattr(anvil_module, "free_port", lambda: next(ports, None) or real())
    try:
        with AnvilNode(no_mining=True) as node:
            assert node.port != taken.getsockname()[1]
    finally:
        taken.close()


def test_anvil_dying_at_start_quotes_its_stderr():
    node = AnvilNode(extra_args=("--no-such-flag",))
    with pytest.raises(AnvilFailed) as info:
        node.start()
    assert "--no-such-flag" in str(info.value) and "\n" not in str(info.value)


def test_missing_anvil(monkeypatch, tmp_path):
    monkeypatch.setenv("ARB_ANVIL", str(tmp_path / "anvil"))
    with pytest.raises(AnvilMissing):
        AnvilNode().start()


def test_stop_is_idempotent_and_reaps():
    node = AnvilNode(no_mining=True).start()
    pid = node.pid
    node.stop()
    node.stop()
    assert not _alive(pid)
    node.cleanup()


def test_anvil_dies_with_its_parent(tmp_path):
    """SIGKILL the Python parent: PR_SET_PDEATHSIG takes Anvil down too."""
    code = (
        "import sys, time\n"
        "from appliance.devnet import AnvilNode\n"
        "n = AnvilNode(no_mining=True).start()\n"
        "print(n.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = dict(os.environ, TMPDIR=str(tmp_path))  # the killed parent leaves its stderr file here
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        pid = int(parent.stdout.readline())
        assert _alive(pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)
    finally:
        parent.kill()
        parent.wait()
