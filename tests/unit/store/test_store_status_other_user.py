"""``arb-appliance status`` run by another user than the supervisor's, as on the device.

On the image the supervisor runs as ``arb`` (UMask=0027: its journal and state file are 0640
``arb:arb``, its directories 0750) and the key is 0600 ``arb``; the status screen's user
``arb-ui`` (and an operator's shell) is only a member of group ``arb``. ``status`` must read the
picture through that group and never need the key: it used to check the key file like the
supervisor does and, as ``arb-ui``, printed nothing on stdout (exit 2, "owned by uid ...").

Here the supervisor's files belong to this process's user (root in CI) and the group ``nogroup``;
``status`` runs as a real process as ``nobody``, whose only way in is that group.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import pytest
from eth_utils import to_checksum_address

from appliance.events import TradeStatus, TradeUpdated
from appliance.modes import Mode
from appliance.store.journal import Journal
from appliance.store.statefile import LiveState, RpcSlot, StateWriter

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root to run status as another uid (CI runs as root)"
)

TOKEN = to_checksum_address("0x" + "ab" * 20)
FACTORY = to_checksum_address("0x" + "cd" * 20)
KEY = "0x" + "11" * 32  # a throwaway test key, never a real one


# The CLI with this checkout's packages on the path. The interpreter must be one ``nobody`` can
# execute: this venv's, or the system's Python 3.11 when the venv's lives under a 0700 home.
RUNNER = (
    "import site, sys; site.addsitedir(sys.argv.pop(1)); "
    "from appliance.cli import main; sys.exit(main(sys.argv[1:]))"
)
SITE = sysconfig.get_paths()["purelib"]


def _as_nobody(argv: list[str], gid: int, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        user=pwd.getpwnam("nobody").pw_uid,
        group=gid,
        extra_groups=[gid],
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
        timeout=120,
        **kw,
    )


def _interpreter(gid: int) -> str:
    for candidate in (
        sys.executable,
        f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}",
    ):
        try:
            probe = _as_nobody([candidate, "-c", RUNNER, SITE, "--version"], gid)
        except (PermissionError, FileNotFoundError):
            continue
        if probe.returncode == 0:
            return candidate
    pytest.skip("no Python interpreter here that nobody may execute")


@pytest.fixture
def device_dirs():
    """A device-like layout in a directory ``nobody`` can traverse (pytest's tmp is 0700)."""
    top = Path(tempfile.mkdtemp(prefix="arb-status-uid-"))
    top.chmod(0o755)
    try:
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _as_supervisor(path: Path, gid: int, mode: int) -> None:
    os.chown(path, os.geteuid(), gid)
    path.chmod(mode)


def test_status_as_a_member_of_the_supervisors_group_reads_without_the_key(device_dirs):
    gid = grp.getgrnam("nogroup").gr_gid
    python = _interpreter(gid)
    data, run = device_dirs / "data", device_dirs / "run"
    for d in (data, run):
        d.mkdir()
        _as_supervisor(d, gid, 0o750)
    key = data / "key"
    key.write_text(KEY + "\n")
    key.chmod(0o600)  # the supervisor's alone, as firstboot leaves it
    config = device_dirs / "arb-appliance.toml"
    config.write_text(
        f"""
[chain]
chain_id = 31337
rpc = ["http://127.0.0.1:8545"]

[[dex]]
name = "uni"
factory = "{FACTORY}"

[tokens]
base = ["{TOKEN}"]

[account]
key_file = "{key}"

[storage]
data_dir = "{data}"
runtime_dir = "{run}"
"""
    )
    _as_supervisor(config, gid, 0o640)  # firstboot: 0640 root:arb

    live = LiveState(
        mode=Mode.NORMAL,
        leds={"green": "on", "yellow": "off", "red": "off"},
        head_block=279,
        head_timestamp=time.time(),
        rpc=[RpcSlot("10.0.2.100:8545", True, 2000.0)],
        breakers={"trade": "closed"},
        n_pools=4,
        opportunities=0,
        approved=0,
        rejected=0,
    )
    old_umask = os.umask(0o027)  # the supervisor unit's UMask
    try:
        with Journal(data / "journal.sqlite") as journal:
            journal.upsert_trade(
                TradeUpdated("p", TradeStatus.PAPER, Mode.NORMAL, expected_profit=12)
            )
            with StateWriter(run / "state.bin") as writer:
                writer.publish(live)
                for f in [*data.iterdir(), *run.iterdir()]:
                    if f != key:
                        os.chown(f, os.geteuid(), gid)
                proc = _as_nobody(
                    [python, "-c", RUNNER, SITE, "status", "--json", "--config", str(config)],
                    gid,
                )
    finally:
        os.umask(old_umask)

    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["supervisor"] == "running" and doc["mode"] == "NORMAL"
    assert doc["head_block"] == 279 and doc["trades"]["paper"] == 1
    assert sorted(doc["sources"]) == ["journal", "state_file"] and doc["problems"] == []
    assert KEY[2:] not in proc.stdout + proc.stderr
