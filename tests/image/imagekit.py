"""Helpers of the image tests: a synthetic Raspberry Pi OS base image made with independent
tools (sfdisk, mkfs.vfat + mcopy, mke2fs -d, dd) and tools that inspect image files.

A plain module with a unique name (not conftest) so test files can import it unambiguously."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "image" / "build"
MTOOLS_ENV = {
    **os.environ,
    "MTOOLS_SKIP_CHECK": "1",
    "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin",
}

BOOT_START, BOOT_SECTORS = 8192, 131072  # 64 MiB FAT32 at 4 MiB, like Raspberry Pi OS
ROOT_START = BOOT_START + BOOT_SECTORS
LABEL_ID = "0x5e3da7a1"

OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"""
DPKG_STATUS = """Package: libc6
Status: install ok installed
Architecture: arm64
Version: 2.36-9+rpt2+deb12u4

Package: python3.11-minimal
Status: install ok installed
Architecture: arm64
Version: 3.11.2-6+deb12u6
"""
CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=5e3da7a1-02 rootfstype=ext4 fsck.repair=no rootwait quiet\n"


def sh(
    *cmd: str | os.PathLike[str], input: bytes | None = None, env=None
) -> subprocess.CompletedProcess[bytes]:
    """Run a tool; fail the test with its stderr when it fails."""
    proc = subprocess.run(
        [os.fspath(c) for c in cmd], input=input, capture_output=True, env=env or MTOOLS_ENV
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-800:]}"
        )
    return proc


@dataclass
class BaseSpec:
    """What the synthetic base looks like; tests flip one thing to provoke a refusal."""

    root_mib: int = 96
    boot_type: str = "c"
    root_fs: str = "ext4"  # or "ext2", "vfat"
    extra_partition: bool = False
    os_release: bool = True
    python3: bool = True
    key_on_boot: bool = False
    codename: bool = True  # VERSION_CODENAME in os-release
    dpkg_status: bool = True
    libc: str | None = "2.36"  # the glibc version libc.so.6 announces; None: no libc at all
    libc_machine: int = 183  # ELF e_machine of libc.so.6 (183: aarch64, 40: 32-bit ARM)
    libc_old_name: bool = False  # glibc < 2.34 layout: libc.so.6 -> libc-2.X.so, no banner


def fake_libc(version: str, machine: int = 183, banner: bool = True) -> bytes:
    """A file shaped like glibc's libc.so.6 where it matters here: ELF64 header, banner, versions."""
    header = b"\x7fELF\x02\x01\x01" + bytes(9) + (3).to_bytes(2, "little")
    header += machine.to_bytes(2, "little") + bytes(44)
    minor = int(version.split(".")[1])
    versions = b"\0".join(b"GLIBC_2.%d" % m for m in range(17, minor + 1))
    text = b"GNU C Library (Debian GLIBC %s-9) stable release version %s.\n" % (
        version.encode(),
        version.encode(),
    )
    return header + b"\0" + versions + b"\0" + (text if banner else b"")


def _fake_root(dest: Path, spec: BaseSpec) -> None:
    def put(rel: str, text: str, mode: int = 0o644) -> None:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)

    for d in (
        "usr/lib/python3.11",
        "usr/lib/python3/dist-packages",
        "usr/lib/aarch64-linux-gnu",
        "usr/lib/systemd/system",
        "etc/systemd/system/multi-user.target.wants",
        "etc/systemd/system/getty.target.wants",
        "opt",
        "var/lib/dpkg",
        "home/pi",
        "boot/firmware",
    ):
        (dest / d).mkdir(parents=True, exist_ok=True)
    (dest / "tmp").mkdir()
    (dest / "tmp").chmod(0o1777)  # legitimately world-writable (sticky): the check must allow it
    if spec.os_release:
        text = (
            OS_RELEASE if spec.codename else OS_RELEASE.replace("VERSION_CODENAME=bookworm\n", "")
        )
        put("usr/lib/os-release", text)
        (dest / "etc/os-release").symlink_to("../usr/lib/os-release")
    put("usr/lib/python3.11/os.py", "# placeholder of the base's stdlib\n")
    if spec.python3:
        put("usr/bin/python3.11", "#!/bin/false\n", 0o755)
        (dest / "usr/bin/python3").symlink_to("python3.11")
    put("usr/bin/su", "#!/bin/false\n", 0o755)
    put("etc/hostname", "raspberrypi\n")
    put("home/pi/.bashrc", "# the base's own file\n")
    if spec.dpkg_status:
        put("var/lib/dpkg/status", DPKG_STATUS)
    if spec.libc is not None:
        libdir = dest / "usr/lib/aarch64-linux-gnu"
        blob = fake_libc(spec.libc, spec.libc_machine, banner=not spec.libc_old_name)
        if spec.libc_old_name:
            (libdir / f"libc-{spec.libc}.so").write_bytes(blob)
            (libdir / "libc.so.6").symlink_to(f"libc-{spec.libc}.so")
        else:
            (libdir / "libc.so.6").write_bytes(blob)
    (dest / "lib").symlink_to("usr/lib")  # merged /usr, as on Raspberry Pi OS and Debian
    put("usr/lib/systemd/system/ssh.service", "[Unit]\nDescription=OpenBSD Secure Shell server\n")
    put("usr/lib/systemd/system/getty@.service", "[Unit]\nDescription=Getty on %I\n")
    (dest / "etc/systemd/system/multi-user.target.wants/ssh.service").symlink_to(
        "/usr/lib/systemd/system/ssh.service"
    )
    (dest / "etc/systemd/system/getty.target.wants/getty@tty1.service").symlink_to(
        "/usr/lib/systemd/system/getty@.service"
    )
    put(
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
        "pi:x:1000:1000:,,,:/home/pi:/bin/bash\n",
    )
    put("etc/group", "root:x:0:\ndaemon:x:1:\nshadow:x:42:\ngpio:x:997:pi\npi:x:1000:\n")
    put(
        "etc/shadow",
        "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\npi:!:19000:0:99999:7:::\n",
        0o640,
    )
    put("etc/gshadow", "root:*::\ndaemon:*::\nshadow:*::\ngpio:!::pi\npi:!::\n", 0o640)
    if os.geteuid() == 0:
        os.chown(dest / "etc/shadow", 0, 42)
        os.chown(dest / "etc/gshadow", 0, 42)
        for p in [dest, *dest.rglob("*")]:
            if p.name not in ("shadow", "gshadow"):
                os.lchown(p, 0, 0)
        os.chown(dest / "home/pi", 1000, 1000)
        os.chown(dest / "home/pi/.bashrc", 1000, 1000)
    (dest / "usr/bin/su").chmod(0o4755)  # after chown, which clears set-uid


def make_base_image(path: Path, spec: BaseSpec | None = None) -> Path:
    """Write a Raspberry Pi OS-shaped image to ``path`` (no root, no loop devices)."""
    spec = spec or BaseSpec()
    work = path.parent / (path.name + ".parts")
    work.mkdir()
    root_sectors = spec.root_mib * 2048
    boot = work / "boot.img"
    boot.write_bytes(b"")
    os.truncate(boot, BOOT_SECTORS * 512)
    if spec.boot_type == "83":
        sh("mke2fs", "-q", "-t", "ext4", "-F", boot)
    else:
        sh("mkfs.vfat", "-F", "32", "-n", "BOOTFS", boot)
        for name, text in (
            ("cmdline.txt", CMDLINE),
            ("config.txt", "dtparam=audio=on\narm_64bit=1\n"),
        ):
            (work / name).write_text(text)
            sh("mcopy", "-i", boot, work / name, f"::/{name}")
        if spec.key_on_boot:
            (work / "arb-appliance.key").write_text("0x" + "11" * 32 + "\n")
            sh("mcopy", "-i", boot, work / "arb-appliance.key", "::/arb-appliance.key")
    root = work / "root.img"
    fake = work / "rootdir"
    fake.mkdir()
    _fake_root(fake, spec)
    if spec.root_fs == "vfat":
        root.write_bytes(b"")
        os.truncate(root, root_sectors * 512)
        sh("mkfs.vfat", "-F", "32", root)
    else:
        sh(
            "mke2fs",
            "-q",
            "-t",
            spec.root_fs,
            "-L",
            "rootfs",
            "-d",
            fake,
            root,
            f"{spec.root_mib}M",
        )
    layout = [
        f"start={BOOT_START}, size={BOOT_SECTORS}, type={spec.boot_type}",
        f"start={ROOT_START}, size={root_sectors}, type=83",
    ]
    end = ROOT_START + root_sectors
    if spec.extra_partition:
        layout.append(f"start={end}, size=8192, type=83")
        end += 8192
    path.write_bytes(b"")
    os.truncate(path, end * 512)
    table = f"label: dos\nlabel-id: {LABEL_ID}\nunit: sectors\n\n" + "\n".join(layout) + "\n"
    sh("sfdisk", "--no-reread", "--no-tell-kernel", "-q", path, input=table.encode())
    sh(
        "dd",
        f"if={boot}",
        f"of={path}",
        "bs=512",
        f"seek={BOOT_START}",
        "conv=notrunc,sparse",
        "status=none",
    )
    sh(
        "dd",
        f"if={root}",
        f"of={path}",
        "bs=512",
        f"seek={ROOT_START}",
        "conv=notrunc,sparse",
        "status=none",
    )
    shutil.rmtree(work)
    return path


def extract(image: Path, start: int, sectors: int, dest: Path) -> Path:
    sh(
        "dd",
        f"if={image}",
        f"of={dest}",
        "bs=512",
        f"skip={start}",
        f"count={sectors}",
        "conv=sparse",
        "status=none",
    )
    return dest


def debugfs(fs: Path, request: str) -> str:
    return sh("debugfs", "-R", request, fs).stdout.decode(errors="replace")


def run_build(base: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILD), str(base), str(out), *extra], capture_output=True, text=True
    )
