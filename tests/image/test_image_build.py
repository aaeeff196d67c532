"""image/build on a synthetic Raspberry Pi OS base, inspected with independent tools.

The build runs once per module (about 2-4 minutes on a warm wheel cache, more on a cold one);
every test below reads its output: sfdisk --json, dd, mdir/mtype, debugfs (stat, ls, cat,
rdump), e2fsck and readelf. Deselect with ``-m "not image"``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from imagekit import (
    BOOT_SECTORS,
    BOOT_START,
    CMDLINE,
    LABEL_ID,
    REPO,
    ROOT_START,
    debugfs,
    extract,
    make_base_image,
    run_build,
    sh,
)
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

pytestmark = [pytest.mark.image, pytest.mark.slow, pytest.mark.xdist_group("image")]

VENV = "/opt/arb-appliance/venv"
SITE = f"{VENV}/lib/python3.11/site-packages"
UNITS = ("arb-appliance.service", "arb-appliance-ui.service", "arb-appliance-firstboot.service")
TEMPLATE = REPO / "appliance/config/examples/ethereum.toml"
# Distributions that must arrive compiled for aarch64 (the appliance imports them).
COMPILED = {
    "numpy",
    "lgpio",
    "pydantic-core",
    "coincurve",
    "aiohttp",
    "cytoolz",
    "bitarray",
    "ckzg",
    "pycryptodome",
}
TARGET_ENV = {
    "python_version": "3.11",
    "python_full_version": "3.11.2",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


@dataclass
class Built:
    base: Path
    out: Path
    image: Path
    boot: Path
    root: Path
    tree: Path
    table: dict
    seconds: float
    log: str


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    work = tmp_path_factory.mktemp("image-build")
    base = make_base_image(work / "base.img")
    out = work / "out" / "arb-appliance.img.xz"
    t0 = time.monotonic()
    proc = run_build(base, out, "--xz-level", "0")
    seconds = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr[-4000:]
    image = work / "arb-appliance.img"
    with open(image, "wb") as fh:
        subprocess.run(["xz", "-dc", str(out)], stdout=fh, check=True)
    table = json.loads(sh("sfdisk", "--json", image).stdout)["partitiontable"]
    p1, p2 = table["partitions"]
    boot = extract(image, p1["start"], p1["size"], work / "boot.img")
    root = extract(image, p2["start"], p2["size"], work / "root.img")
    tree = work / "tree"
    tree.mkdir()
    debugfs(root, f"rdump / {tree}")
    return Built(base, out, image, boot, root, tree, table, seconds, proc.stderr)


def mtype(built: Built, name: str) -> bytes | None:
    proc = subprocess.run(
        ["mtype", "-i", str(built.boot), f"::/{name}"],
        capture_output=True,
        env={"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"},
    )
    return proc.stdout if proc.returncode == 0 else None


def stat(built: Built, path: str) -> dict[str, str] | None:
    out = debugfs(built.root, f"stat {path}")
    m = re.search(r"Type:\s+(\S+)\s+Mode:\s+(\d+).*?User:\s+(\d+)\s+Group:\s+(\d+)", out, re.S)
    if not m:
        return None
    link = re.search(r'Fast link dest: "(.*)"', out)
    return {
        "type": m.group(1),
        "mode": m.group(2),
        "uid": m.group(3),
        "gid": m.group(4),
        "link": link.group(1) if link else "",
    }


def test_image_build_time_and_size(built):
    size = built.image.stat().st_size
    print(
        f"\nimage/build: {built.seconds:.1f} s; image {size / 2**20:.0f} MiB, "
        f"{built.out.name} {built.out.stat().st_size / 2**20:.1f} MiB"
    )
    sh("xz", "-t", built.out)
    assert "[10/10]" in built.log  # progress was shown


def test_image_partitions_intact(built):
    base = json.loads(sh("sfdisk", "--json", built.base).stdout)["partitiontable"]
    assert built.table["label"] == "dos" and built.table["id"] == LABEL_ID == base["id"]
    p1, p2 = built.table["partitions"]
    assert (p1["start"], p1["size"], p1["type"]) == (BOOT_START, BOOT_SECTORS, "c")
    assert (p2["start"], p2["type"]) == (ROOT_START, "83")
    assert p2["size"] >= base["partitions"][1]["size"]
    assert built.image.stat().st_size == (p2["start"] + p2["size"]) * 512
    assert "growing the root filesystem" in built.log  # 96 MiB cannot hold the venv
    fsck = subprocess.run(["e2fsck", "-f", "-n", str(built.root)], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout
    sb = sh("dumpe2fs", "-h", built.root).stdout.decode()
    blocks = int(re.search(r"Block count:\s+(\d+)", sb).group(1))
    block_size = int(re.search(r"Block size:\s+(\d+)", sb).group(1))
    assert blocks * block_size <= p2["size"] * 512  # the filesystem fits its grown partition


def test_image_base_files_preserved(built):
    assert debugfs(built.root, "cat /etc/hostname") == "raspberrypi\n"
    assert debugfs(built.root, "cat /home/pi/.bashrc") == "# the base's own file\n"
    if os.geteuid() == 0:  # the base was made with real owners: they survive
        assert stat(built, "/home/pi/.bashrc")["uid"] == "1000"
    assert stat(built, "/etc/os-release")["link"] == "../usr/lib/os-release"
    assert (
        stat(built, "/etc/systemd/system/multi-user.target.wants/ssh.service")["link"]
        == "/usr/lib/systemd/system/ssh.service"
    )
    assert stat(built, "/tmp")["mode"] == "01777"
    shadow = stat(built, "/etc/shadow")
    assert (shadow["mode"], shadow["gid"]) == ("0640", "42")
    passwd = debugfs(built.root, "cat /etc/passwd")
    assert passwd.startswith("root:x:0:0:root:/root:/bin/bash\n") and "\npi:x:1000:1000:" in passwd
    assert mtype(built, "config.txt") == b"dtparam=audio=on\narm_64bit=1\n"
    cmdline = mtype(built, "cmdline.txt").decode().split()
    assert "fsck.repair=yes" in cmdline and "fsck.repair=no" not in cmdline  # forced fsck repair
    assert [t for t in cmdline if not t.startswith("fsck.repair")] == [
        t for t in CMDLINE.split() if not t.startswith("fsck.repair")
    ]


def test_image_users(built):
    passwd = {
        line.split(":")[0]: line.split(":")
        for line in debugfs(built.root, "cat /etc/passwd").splitlines()
    }
    group = {
        line.split(":")[0]: line.split(":")
        for line in debugfs(built.root, "cat /etc/group").splitlines()
    }
    assert passwd["arb"][6] == passwd["arb-ui"][6] == "/usr/sbin/nologin"
    assert int(passwd["arb"][2]) < 1000 and int(passwd["arb-ui"][2]) < 1000
    assert "arb" in group["gpio"][3].split(",") and group["gpio"][2] == "997"
    assert group["arb"][3].split(",") == ["arb-ui"]
    shadow = debugfs(built.root, "cat /etc/shadow")
    assert re.search(r"^arb:!\*?:", shadow, re.M)  # locked: no password login


def test_image_units_present_and_enabled(built):
    for unit in UNITS:
        path = f"/usr/lib/systemd/system/{unit}"
        assert debugfs(built.root, f"cat {path}") == (REPO / "systemd" / unit).read_text()
        assert stat(built, path)["mode"] == "0644"
        link = stat(built, f"/etc/systemd/system/multi-user.target.wants/{unit}")
        assert link and link["type"] == "symlink" and link["link"] == path
    for masked in ("getty@tty1.service", "autovt@tty1.service"):
        assert stat(built, f"/etc/systemd/system/{masked}")["link"] == "/dev/null"
    for path in (
        "/usr/lib/systemd/system.conf.d/50-arb-appliance-watchdog.conf",
        "/usr/lib/systemd/journald.conf.d/50-arb-appliance.conf",
        "/usr/lib/sysusers.d/arb-appliance.conf",
        "/usr/lib/udev/rules.d/60-arb-appliance-gpio.rules",
    ):
        assert stat(built, path)["mode"] == "0644", path
    # Debian leaves /dev/gpiochip* root:root 0600: the rule hands them to the supervisor's group
    rule = debugfs(built.root, "cat /usr/lib/udev/rules.d/60-arb-appliance-gpio.rules")
    assert 'KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"' in rule
    assert "RuntimeWatchdogSec=14s" in debugfs(
        built.root, "cat /usr/lib/systemd/system.conf.d/50-arb-appliance-watchdog.conf"
    )


def test_image_venv_layout(built):
    venv = built.tree / VENV.lstrip("/")
    cfg = (venv / "pyvenv.cfg").read_text()
    assert "home = /usr/bin\n" in cfg and "include-system-site-packages = false" in cfg
    assert stat(built, f"{VENV}/bin/python3")["link"] == "/usr/bin/python3"
    launcher = (venv / "bin/arb-appliance").read_text()
    assert (
        launcher.startswith(f"#!{VENV}/bin/python3\n")
        and "from appliance.cli import main" in launcher
    )
    assert stat(built, f"{VENV}/bin/arb-appliance")["mode"] == "0755"
    site = built.tree / SITE.lstrip("/")
    for pkg in (
        "appliance/cli.py",
        "appliance/firstboot.py",
        "web3",
        "trio",
        "textual",
        "gpiozero",
        "lgpio.py",
    ):
        assert (site / pkg).exists(), pkg
    for pkg in ("appliance", "hw", "ui"):  # our own packages, as far as they exist in the repo yet
        if (REPO / pkg / "__init__.py").exists():
            assert (site / pkg / "__init__.py").exists(), pkg
    assert list(
        (site / "appliance/__pycache__").glob("cli.cpython-311.pyc")
    )  # compiled for the device


def _dists(site: Path) -> dict[str, Path]:
    return {canonicalize_name(d.name.split("-")[0]): d for d in site.glob("*.dist-info")}


def test_image_every_compiled_dependency_is_aarch64(built):
    site = built.tree / SITE.lstrip("/")
    dists = _dists(site)
    compiled: dict[str, list[str]] = {}
    for name, d in dists.items():
        libs = [
            line.split(",")[0]
            for line in (d / "RECORD").read_text().splitlines()
            if re.search(r"\.so(\.\d+)*,", line)
        ]
        if libs:
            compiled[name] = libs
            tags = [t for t in (d / "WHEEL").read_text().splitlines() if t.startswith("Tag:")]
            assert tags and all(t.endswith("aarch64") for t in tags), (name, tags)
    assert set(compiled) >= COMPILED, COMPILED - set(compiled)
    # every shared object anywhere in the venv, whichever distribution brought it
    machines: dict[str, list[str]] = {}
    every_so = [
        p
        for p in (built.tree / VENV.lstrip("/")).rglob("*.so*")
        if re.search(r"\.so(\.\d+)*$", p.name) and p.is_file() and not p.is_symlink()
    ]
    assert len(every_so) >= sum(len(v) for v in compiled.values())
    for so in every_so:
        header = sh("readelf", "-h", so).stdout.decode()
        machine = re.search(r"Machine:\s+(.*)", header).group(1).strip()
        machines.setdefault(machine, []).append(so.name)
    print(
        f"\n{len(every_so)} shared objects in {len(compiled)} compiled distributions: {sorted(compiled)}"
    )
    assert set(machines) == {"AArch64"}, {k: v[:5] for k, v in machines.items()}


def test_image_venv_dependencies_complete_for_the_target(built):
    """Every Requires-Dist of every installed distribution is satisfied (markers for aarch64)."""
    site = built.tree / SITE.lstrip("/")
    dists = _dists(site)
    versions = {
        name: Version(re.search(r"^Version: (.+)$", (d / "METADATA").read_text(), re.M).group(1))
        for name, d in dists.items()
    }
    missing = []
    for name, d in dists.items():
        for line in (d / "METADATA").read_text().splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            req = Requirement(line.split(":", 1)[1].strip())
            extras = ("pi",) if name == "arb-appliance" else ()
            if req.marker and not any(
                req.marker.evaluate({**TARGET_ENV, "extra": e}) for e in ("", *extras)
            ):
                continue
            dep = canonicalize_name(req.name)
            if dep == "systemd-python":  # no wheels; the appliance falls back to NOTIFY_SOCKET
                continue
            if dep not in versions or not req.specifier.contains(versions[dep], prereleases=True):
                missing.append(f"{name} needs {req}")
    assert not missing, missing


def test_image_boot_partition_template_and_readme(built):
    names = sh("mdir", "-i", built.boot, "-b", "::/").stdout.decode().split()
    assert "::/arb-appliance.toml" in names and "::/arb-appliance-README.txt" in names
    template = mtype(built, "arb-appliance.toml")
    assert template == TEMPLATE.read_bytes()
    tomllib.loads(template.decode())
    assert b"firstboot" in mtype(built, "arb-appliance-README.txt")


def _modes(built: Built) -> dict[str, tuple[int, int]]:
    """path -> (mode incl. type bits, uid) of every inode, read with one debugfs session."""
    dirs = ["/"] + [
        "/" + str(p.relative_to(built.tree))
        for p in built.tree.rglob("*")
        if p.is_dir() and not p.is_symlink()
    ]
    script = built.root.parent / "ls.debugfs"
    script.write_text("".join(f'ls -p "{d}"\n' for d in dirs))
    out = sh("debugfs", "-f", script, built.root).stdout.decode(errors="replace")
    modes, current = {}, "/"
    for line in out.splitlines():
        if line.startswith("debugfs: ls -p "):
            current = line[len("debugfs: ls -p ") :].strip('"')
            continue
        f = line.split("/")
        if len(f) >= 7 and f[5] not in (".", ".."):
            modes[str(Path(current) / f[5])] = (int(f[2], 8), int(f[3]))
    return modes


def test_image_nothing_world_writable_and_no_key(built):
    modes = _modes(built)
    assert len(modes) > 5000  # the walk saw the venv
    bad = [
        p
        for p, (mode, _) in modes.items()
        if mode & 0o002
        and (mode & 0o170000) != 0o120000
        and not ((mode & 0o170000) == 0o040000 and mode & 0o1000)
    ]
    assert not bad, bad[:10]
    ours = [p for p in modes if p.startswith("/opt/arb-appliance")]
    assert all(modes[p][1] == 0 for p in ours)  # root-owned whoever ran the build
    assert all(modes[p][0] & 0o022 == 0 for p in ours if (modes[p][0] & 0o170000) != 0o120000)
    assert mtype(built, "arb-appliance.key") is None
    assert not [p for p in modes if p.endswith((".key", "/var/lib/arb-appliance/key"))]
    assert stat(built, "/etc/arb-appliance.toml") is None  # imported on the device, not baked in


def test_image_shipped_template_is_a_valid_config(built, tmp_path):
    from appliance.config import load_config

    path = tmp_path / "arb-appliance.toml"
    path.write_bytes(mtype(built, "arb-appliance.toml"))
    cfg = load_config(path)
    assert not cfg.live  # paper trading until the owner decides otherwise
    assert str(cfg.storage.data_dir) == "/var/lib/arb-appliance"


def test_image_refuses_its_own_output(built, tmp_path):
    proc = run_build(built.image, tmp_path / "again.img.xz")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "already contains /opt/arb-appliance" in proc.stderr


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"extra_partition": True}, "has 3 partition(s)"),
        ({"boot_type": "83"}, "not FAT"),
        ({"root_fs": "ext2"}, "not ext4"),
        ({"os_release": False}, "no /etc/os-release"),
        ({"python3": False}, "no /usr/bin/python3"),
        ({"key_on_boot": True}, "refusing to put a key"),
    ],
)
def test_image_refuses_unrecognised_base(base_factory, tmp_path, change, reason):
    base = base_factory(root_mib=16, **change)
    out = tmp_path / "out.img.xz"
    proc = run_build(base, out)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert reason in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("image/build: ")
    assert not out.exists()
