"""What image/build adds to the root filesystem, as one debugfs script."""

from __future__ import annotations

import configparser
import os
import posixpath
from pathlib import Path

from imgbuild.ext4 import Ext4, Script

__all__ = ["APP_DIR", "MASKED", "UNITS", "add_tree", "enable_links", "ensure_dirs", "system_files"]

APP_DIR = "/opt/arb-appliance"
UNIT_DIR = "/usr/lib/systemd/system"
UNITS = (
    "arb-appliance.service",
    "arb-appliance-ui.service",
    "arb-appliance-firstboot.service",
    "arb-appliance-fault.service",  # started by OnFailure= only (no [Install])
)
# logind would start a login prompt on tty1 (autovt@tty1 = getty@tty1), stopping the screen.
MASKED = ("getty@tty1.service", "autovt@tty1.service")


def system_files(repo: Path) -> list[tuple[Path, str]]:
    """(source in the repo, destination in the image) of every plain file besides the venv."""
    sd = repo / "systemd"
    files = [(sd / unit, f"{UNIT_DIR}/{unit}") for unit in UNITS]
    files += [
        (
            sd / "system.conf.d" / "50-arb-appliance-watchdog.conf",
            "/usr/lib/systemd/system.conf.d/50-arb-appliance-watchdog.conf",
        ),
        (
            sd / "journald.conf.d" / "50-arb-appliance.conf",
            "/usr/lib/systemd/journald.conf.d/50-arb-appliance.conf",
        ),
        (sd / "sysusers.d" / "arb-appliance.conf", "/usr/lib/sysusers.d/arb-appliance.conf"),
        (
            sd / "udev" / "60-arb-appliance-gpio.rules",
            "/usr/lib/udev/rules.d/60-arb-appliance-gpio.rules",
        ),
        (repo / "image" / "README-boot.txt", f"{APP_DIR}/README.txt"),
    ]
    return files


def enable_links(repo: Path) -> list[tuple[str, str]]:
    """(link, target) pairs that ``systemctl enable`` and ``systemctl mask`` would create."""
    links = []
    for unit in UNITS:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment]
        parser.read(repo / "systemd" / unit)
        for target in parser.get("Install", "WantedBy", fallback="").split():
            links.append((f"/etc/systemd/system/{target}.wants/{unit}", f"{UNIT_DIR}/{unit}"))
    links += [(f"/etc/systemd/system/{unit}", "/dev/null") for unit in MASKED]
    return links


def ensure_dirs(fs: Ext4, paths: list[str], script: Script) -> list[str]:
    """Queue ``mkdir`` (0755 root) for each missing ancestor of ``paths``; returns those made."""
    needed = {posixpath.dirname(p) for p in paths} - {"/"}
    ancestors = set()
    for path in needed:
        while path != "/":
            ancestors.add(path)
            path = posixpath.dirname(path)
    made: list[str] = []
    for path in sorted(ancestors, key=lambda p: (p.count("/"), p)):
        parent_made = posixpath.dirname(path) in made
        if parent_made or not fs.exists(path):
            script.mkdir(path)
            made.append(path)
    return made


def add_tree(stage: Path, dest: str, script: Script) -> int:
    """Queue the whole tree at ``stage`` under ``dest`` (created here), root-owned, no w for g/o."""
    count = 0
    script.mkdir(dest)
    for dirpath, dirnames, filenames in os.walk(stage):
        rel = os.path.relpath(dirpath, stage)
        base = dest if rel == "." else posixpath.join(dest, *Path(rel).parts)
        for name in sorted(dirnames):
            src = Path(dirpath) / name
            target = posixpath.join(base, name)
            if src.is_symlink():
                script.symlink(target, os.readlink(src))
            else:
                script.mkdir(target)
            count += 1
        for name in sorted(filenames):
            src = Path(dirpath) / name
            target = posixpath.join(base, name)
            if src.is_symlink():
                script.symlink(target, os.readlink(src))
            else:
                script.write(src, target, mode=0o755 if src.stat().st_mode & 0o111 else 0o644)
            count += 1
    return count
