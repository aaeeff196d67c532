"""The systemd units: `systemd-analyze verify` on a temporary root, security exposure, drop-ins."""

from __future__ import annotations

import inspect
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "systemd"
UNITS = (
    "arb-appliance.service",
    "arb-appliance-ui.service",
    "arb-appliance-firstboot.service",
    "arb-appliance-fault.service",
)
HOST_UNITS = Path("/usr/lib/systemd/system")

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


def directives(unit: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) in file order; repeated keys kept (systemd semantics, not INI)."""
    out, section = [], ""
    for raw in unit.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


def values(unit: Path, key: str) -> list[str]:
    return [v for _, k, v in directives(unit) if k == key]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """A root with the host's standard units, ours, and stub executables at the ExecStart paths."""
    root = tmp_path_factory.mktemp("unit-root")
    unit_dir = root / "usr/lib/systemd/system"
    shutil.copytree(HOST_UNITS, unit_dir, symlinks=True)
    for unit in UNITS:
        shutil.copy(SYSTEMD / unit, unit_dir / unit)
        for exec_line in values(SYSTEMD / unit, "ExecStart"):
            exe = root / exec_line.split()[0].lstrip("/")
            exe.parent.mkdir(parents=True, exist_ok=True)
            exe.write_text("#!/bin/sh\nexit 0\n")
            exe.chmod(0o755)
    (root / "etc/systemd/system").mkdir(parents=True)
    return root


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True)


@pytest.mark.parametrize("unit", UNITS)
def test_units_verify_clean(root, unit):
    proc = analyze("verify", f"--root={root}", "--man=no", unit)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", (
        f"systemd-analyze verify complained about {unit}:\n{proc.stderr}"
    )


def test_units_verify_catches_a_broken_unit(root):
    """The check above can fail: a misspelt directive is reported on stderr."""
    bad = root / "usr/lib/systemd/system/arb-broken.service"
    bad.write_text((SYSTEMD / UNITS[0]).read_text().replace("ProtectHome=yes", "ProtectHom=yes"))
    proc = analyze("verify", f"--root={root}", "--man=no", bad.name)
    bad.unlink()
    assert "Unknown key" in proc.stderr


def exposure(root: Path, unit: str) -> float:
    proc = analyze("security", "--offline=yes", f"--root={root}", "--no-pager", unit)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", proc.stdout)
    assert match, proc.stdout[-500:] + proc.stderr
    return float(match.group(1))


def test_units_main_unit_exposure_at_most_2_5(root):
    scores = {unit: exposure(root, unit) for unit in UNITS}
    for unit, score in scores.items():
        print(f"systemd-analyze security --offline=yes {unit}: exposure {score}")
    assert scores["arb-appliance.service"] <= 2.5
    assert scores["arb-appliance-ui.service"] <= 2.5
    assert scores["arb-appliance-fault.service"] <= 2.5


def test_units_main_unit_contract():
    unit = SYSTEMD / "arb-appliance.service"
    want = {
        "Type": "notify",
        "NotifyAccess": "main",
        "Restart": "on-failure",
        "User": "arb",
        "SupplementaryGroups": "gpio",
        "StateDirectory": "arb-appliance",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
        "DevicePolicy": "closed",
        "DeviceAllow": "char-gpiochip rw",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "UMask": "0027",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectKernelLogs": "yes",
    }
    for key, value in want.items():
        assert value in values(unit, key), f"{key}={value} missing from {unit.name}"
    assert "@system-service" in values(unit, "SystemCallFilter")
    assert (
        values(unit, "WatchdogSec")
        and values(unit, "StartLimitBurst")
        and values(unit, "StartLimitIntervalSec")
    )
    assert "arb-appliance" in values(unit, "RuntimeDirectory")[0].split()
    assert values(unit, "ExecStart")[0].endswith("run --config /etc/arb-appliance.toml")
    # the trading loop before the screen and the shell, never realtime (bench_stream.py applies
    # exactly these values with --priority unit)
    assert -20 <= int(values(unit, "Nice")[0]) < 0
    assert values(unit, "IOSchedulingClass") == ["best-effort"]
    assert int(values(unit, "CPUWeight")[0]) > 100  # against other services: the cgroup weight
    assert values(unit, "RestrictRealtime") == ["yes"] and not values(unit, "CPUSchedulingPolicy")


def test_units_screen_owns_tty1_without_a_login():
    unit = SYSTEMD / "arb-appliance-ui.service"
    assert values(unit, "Conflicts") == ["getty@tty1.service"]
    assert values(unit, "TTYPath") == ["/dev/tty1"]
    assert values(unit, "User") == ["arb-ui"]
    assert values(unit, "SupplementaryGroups") == ["arb"]  # read what the supervisor writes
    assert values(unit, "PrivateNetwork") == ["yes"]
    assert " ui " in values(unit, "ExecStart")[0]


def test_units_screen_draws_on_tty1_not_into_the_journal():
    """Textual's Linux driver writes every frame to stderr: with StandardError=journal+console the
    screen landed in the journal and on the kernel console, tty1 stayed blank (image-check boot)."""
    from textual.drivers.linux_driver import LinuxDriver

    assert "self._file = sys.__stderr__" in inspect.getsource(LinuxDriver.__init__)
    unit = SYSTEMD / "arb-appliance-ui.service"
    assert values(unit, "StandardOutput") == ["tty"]
    assert values(unit, "StandardError") == ["tty"]


def _seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "": 1}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text):
        total += float(number) * units[unit]
    return total


def test_units_watchdog_journald_dropins():
    watchdog = SYSTEMD / "system.conf.d/50-arb-appliance-watchdog.conf"
    (value,) = values(watchdog, "RuntimeWatchdogSec")
    assert 0 < _seconds(value) <= 15, value  # the BCM2835 watchdog cannot count further
    journald = SYSTEMD / "journald.conf.d/50-arb-appliance.conf"
    (cap,) = values(journald, "SystemMaxUse")
    assert cap.endswith("M") and int(cap[:-1]) <= 256


@pytest.mark.skipif(
    shutil.which("systemd-sysusers") is None, reason="systemd-sysusers not installed"
)
def test_units_sysusers_snippet(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\ngpio:x:997:\n")
    proc = subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", str(SYSTEMD / "sysusers.d/arb-appliance.conf")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    groups = {
        line.split(":")[0]: line.split(":")[3].split(",")
        for line in (etc / "group").read_text().splitlines()
    }
    users = {
        line.split(":")[0]: line.split(":") for line in (etc / "passwd").read_text().splitlines()
    }
    assert groups["gpio"] == ["arb"] and groups["arb"] == ["arb-ui"]
    assert users["arb"][6] == users["arb-ui"][6] == "/usr/sbin/nologin"


def test_units_a_failed_supervisor_leaves_the_fault_leds_on():
    """Exit 2 (not retried) or the start limit: OnFailure= starts the fault-LED unit (14.13)."""
    main = SYSTEMD / "arb-appliance.service"
    fault = SYSTEMD / "arb-appliance-fault.service"
    assert values(main, "OnFailure") == ["arb-appliance-fault.service"]
    assert values(fault, "ExecStart")[0].endswith("fault-leds --config /etc/arb-appliance.toml")
    assert values(fault, "Conflicts") == ["arb-appliance.service"]  # released when it starts
    assert values(fault, "DeviceAllow") == ["char-gpiochip rw"]
    assert not values(fault, "WantedBy")  # never started by itself
