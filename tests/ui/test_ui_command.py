"""``arb-appliance ui`` command line: operator mistakes are one line and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ARB = Path(sys.executable).with_name("arb-appliance")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ARB), "ui", *args], capture_output=True, text=True, timeout=120)


def test_ui_command_missing_config_is_one_line(tmp_path):
    out = _run("--config", str(tmp_path / "nope.toml"))
    assert out.returncode == 2
    assert (
        out.stderr.count("\n") == 1 and "nope.toml" in out.stderr and "no such file" in out.stderr
    )


def test_ui_command_bad_refresh_rate(tmp_path):
    out = _run(
        "--config",
        str(tmp_path / "nope.toml"),
        "--state",
        "s",
        "--journal",
        "j",
        "--refresh-hz",
        "100",
    )
    assert out.returncode == 2
    assert (
        out.stderr.strip() == "arb-appliance ui: --refresh-hz must be between 0.2 and 20, not 100.0"
    )


def test_ui_command_help_lists_the_options():
    out = _run("--help")
    assert out.returncode == 0
    for option in ("--state", "--journal", "--kiosk", "--view", "--refresh-hz", "--config"):
        assert option in out.stdout


def test_ui_command_block_glyphs_only_off_the_linux_console():
    from appliance.commands.ui import unicode_terminal

    assert not unicode_terminal({"TERM": "linux"}, "utf-8")  # the console font: ASCII ramp
    assert not unicode_terminal({"TERM": "xterm-256color"}, "ascii")
    assert unicode_terminal({"TERM": "xterm-256color"}, "UTF-8")
    assert not unicode_terminal({}, "utf-8")


def test_ui_command_demo_prints_its_config_and_only_commands_that_exist(tmp_path):
    import subprocess
    import sys

    from appliance.commands.demo import inspect_commands

    config, log = tmp_path / "my demo" / "arb-appliance.toml", tmp_path / "run.log"
    lines = inspect_commands(config, log, exe="arb-appliance")
    assert lines[0] == f"config {config}"
    assert f"  arb-appliance status --config '{config}'   # the live status" in lines
    assert any(line.startswith("  arb-appliance ui --config") for line in lines)
    assert any(str(log) in line for line in lines)
    for name in ("competitors", "why"):  # printed once they exist, not before
        exists = (
            subprocess.run(
                [sys.executable, "-m", "appliance", name, "--help"], capture_output=True
            ).returncode
            == 0
        )
        assert any(f" {name} --config" in line for line in lines) is exists
