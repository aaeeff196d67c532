"""appliance.firstboot: the boot partition's config and key imported with the right modes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from appliance.firstboot import import_config, import_key, main

KEY = b"0x" + b"ab" * 32 + b"\n"


@pytest.fixture
def dirs(tmp_path):
    boot, etc, state = tmp_path / "boot", tmp_path / "etc", tmp_path / "var-lib-arb"
    boot.mkdir()
    etc.mkdir()
    return boot, etc, state


def test_firstboot_moves_the_key_0600_and_deletes_it(dirs):
    boot, _, state = dirs
    (boot / "arb-appliance.key").write_bytes(KEY)
    assert import_key(boot, state, uid=None, gid=None)
    key = state / "key"
    assert key.read_bytes() == KEY
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o750
    assert not (boot / "arb-appliance.key").exists()
    assert not list(state.glob(".*tmp"))
    assert not import_key(boot, state, uid=None, gid=None)  # nothing left to import


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_firstboot_key_owned_by_the_service_user(dirs):
    boot, _, state = dirs
    (boot / "arb-appliance.key").write_bytes(KEY)
    import_key(boot, state, uid=4242, gid=4343)
    st = (state / "key").stat()
    assert (st.st_uid, st.st_gid) == (4242, 4343)
    assert (state.stat().st_uid, state.stat().st_gid) == (4242, 4343)


def test_firstboot_config_copied_0640_and_reimported_when_edited(dirs):
    boot, etc, _ = dirs
    (boot / "arb-appliance.toml").write_text("[chain]\nchain_id = 1\n")
    assert import_config(boot, etc, gid=None)
    dst = etc / "arb-appliance.toml"
    assert stat.S_IMODE(dst.stat().st_mode) == 0o640
    assert (boot / "arb-appliance.toml").exists()  # stays editable on a PC
    assert not import_config(boot, etc, gid=None)  # unchanged: no rewrite
    (boot / "arb-appliance.toml").write_text("[chain]\nchain_id = 56\n")
    assert import_config(boot, etc, gid=None)
    assert "56" in dst.read_text()


def test_firstboot_cli_without_files_does_nothing(dirs, capsys):
    boot, etc, state = dirs
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    assert (
        main(["--boot", str(boot), "--etc", str(etc), "--state", str(state), "--user", user]) == 0
    )
    assert not state.exists() and not list(etc.iterdir())


def test_firstboot_cli_never_prints_the_key(dirs):
    boot, etc, state = dirs
    (boot / "arb-appliance.key").write_bytes(KEY)
    (boot / "arb-appliance.toml").write_text("# config\n")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "appliance.firstboot",
            "--boot",
            str(boot),
            "--etc",
            str(etc),
            "--state",
            str(state),
            "--user",
            user,
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ab" * 32 not in proc.stdout + proc.stderr
    assert (
        "moved" in proc.stdout
        and (state / "key").exists()
        and (etc / "arb-appliance.toml").exists()
    )
