"""Recognising a Raspberry Pi OS Lite (arm64) base image, or refusing it with the reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from imgbuild.disk import Partition, copy_range, read_table
from imgbuild.errors import BaseImageRefused, BuildStepFailed
from imgbuild.ext4 import Ext4
from imgbuild.fat import Fat

__all__ = ["BaseInfo", "base_glibc", "describe_base", "extract_partitions", "inspect_base"]

FAT_TYPES = {"b", "c", "e", "6", "4", "1"}
LINUX_TYPE = "83"
# Where the base's C library lives (Debian multiarch; /lib is a symlink to usr/lib on merged-/usr).
LIBC_PATHS = ("/usr/lib/aarch64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6")
EM_AARCH64 = 183
APPLIANCE_ROOT = "/opt/arb-appliance"


@dataclass(frozen=True)
class BaseInfo:
    boot: Partition
    root: Partition
    pretty_name: str
    codename: str
    python: str  # "3.11": the base image's CPython, which the venv is built for
    python_full: str  # "3.11.2" when dpkg says so, else the same as python
    glibc: tuple[int, int]


def _parse_os_release(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.startswith("#"):
            values[key.strip()] = value.strip().strip("\"'")
    return values


def _dpkg_versions(status: str, names: set[str]) -> dict[str, str]:
    found = {}
    for stanza in status.split("\n\n"):
        pkg = re.search(r"^Package:\s*(\S+)", stanza, re.MULTILINE)
        ver = re.search(r"^Version:\s*(\S+)", stanza, re.MULTILINE)
        if pkg and ver and pkg.group(1) in names and "install ok installed" in stanza:
            found[pkg.group(1)] = ver.group(1)
    return found


def _glibc_of_libc(name: str, data: bytes) -> tuple[int, int] | None:
    """glibc's version from the library itself: its banner, its file name, its symbol versions."""
    if m := re.search(rb"release version (\d+)\.(\d+)", data):
        return int(m.group(1)), int(m.group(2))
    if m := re.fullmatch(r"libc-(\d+)\.(\d+)\.so", name):  # glibc < 2.34: libc.so.6 -> libc-2.31.so
        return int(m.group(1)), int(m.group(2))
    minors = [int(v) for v in re.findall(rb"\bGLIBC_2\.(\d+)\b", data)]
    return (2, max(minors)) if minors else None


def base_glibc(root_fs: Ext4, dpkg_libc6: str = "") -> tuple[int, int]:
    """The glibc the base image runs, read from its own ``libc.so.6`` (an aarch64 ELF).

    The wheels' manylinux tags follow from it, so a guess would either fetch wheels the device
    cannot load or find none at all: without a readable libc (and no ``libc6`` in the dpkg
    status) the base is refused with :class:`BaseImageRefused`.
    """
    for path in LIBC_PATHS:
        real = root_fs.resolve(path)
        data = root_fs.read(real)
        if data is None:
            continue
        if data[:4] != b"\x7fELF" or len(data) < 20:
            raise BaseImageRefused(f"{path} in the root filesystem is not an ELF file")
        machine = int.from_bytes(data[18:20], "little" if data[5] == 1 else "big")
        if data[4] != 2 or machine != EM_AARCH64:
            raise BaseImageRefused(
                f"{path} in the root filesystem is not a 64-bit ARM (aarch64) library (e_machine {machine})"
            )
        found = _glibc_of_libc(real.rsplit("/", 1)[-1], data)
        if found is not None:
            return found
    if m := re.match(r"(\d+)\.(\d+)", dpkg_libc6):
        return int(m.group(1)), int(m.group(2))
    raise BaseImageRefused(
        f"cannot tell the base's glibc version: no readable {LIBC_PATHS[0]} and no libc6 in "
        "/var/lib/dpkg/status (the aarch64 wheels are chosen by it)"
    )


def inspect_base(image: Path) -> tuple[str, Partition, Partition]:
    """Check the partition table alone: (label, boot, root) or :class:`BaseImageRefused`."""
    if not image.is_file():
        raise BaseImageRefused(f"base image {str(image)!r} is not a file")
    label, parts = read_table(image)
    if label != "dos":
        raise BaseImageRefused(
            f"{str(image)!r} has a {label!r} partition table; Raspberry Pi OS images use 'dos' (MBR)"
        )
    if len(parts) != 2:
        raise BaseImageRefused(
            f"{str(image)!r} has {len(parts)} partition(s); a Raspberry Pi OS image has exactly 2 (FAT boot, ext4 root)"
        )
    boot, root = parts
    if boot.type not in FAT_TYPES:
        raise BaseImageRefused(
            f"partition 1 of {str(image)!r} has type {boot.type!r}, not FAT (expected 'c')"
        )
    if root.type != LINUX_TYPE:
        raise BaseImageRefused(
            f"partition 2 of {str(image)!r} has type {root.type!r}, not Linux (expected '83')"
        )
    size = image.stat().st_size
    if root.offset + root.nbytes > size:
        raise BaseImageRefused(
            f"partition 2 of {str(image)!r} ends beyond the end of the file (truncated download?)"
        )
    return label, boot, root


def extract_partitions(
    image: Path, boot: Partition, root: Partition, work: Path
) -> tuple[Path, Path]:
    """Copy both partitions into sparse files ``work/boot.img`` and ``work/root.img``."""
    out = []
    for name, part in (("boot.img", boot), ("root.img", root)):
        dst = work / name
        with open(dst, "wb") as fh:
            fh.truncate(part.nbytes)
        copy_range(image, dst, src_offset=part.offset, dst_offset=0, length=part.nbytes)
        out.append(dst)
    return out[0], out[1]


def describe_base(boot: Partition, root: Partition, boot_fs: Fat, root_fs: Ext4) -> BaseInfo:
    """Check the filesystems' contents; returns what the build needs to know about the base."""
    if not boot_fs.readable():
        raise BaseImageRefused("partition 1 is not a FAT filesystem mtools can read")
    if boot_fs.read("cmdline.txt") is None:
        raise BaseImageRefused(
            "the boot partition has no cmdline.txt: not a Raspberry Pi boot partition"
        )
    try:
        sb = root_fs.superblock()
    except BuildStepFailed:
        raise BaseImageRefused(
            "partition 2 is not an ext2/3/4 filesystem (dumpe2fs cannot read it)"
        ) from None
    features = sb.get("Filesystem features", "")
    if "extent" not in features.split():
        raise BaseImageRefused(f"partition 2 is not ext4 (features: {features!r})")
    os_release = root_fs.read("/etc/os-release") or root_fs.read("/usr/lib/os-release")
    if os_release is None:
        raise BaseImageRefused(
            "the root filesystem has no /etc/os-release: not a Debian-based image"
        )
    osr = _parse_os_release(os_release.decode(errors="replace"))
    family = {osr.get("ID", "")} | set(osr.get("ID_LIKE", "").split())
    if not family & {"debian", "raspbian"}:
        raise BaseImageRefused(
            f"/etc/os-release says {osr.get('PRETTY_NAME', osr.get('ID', '?'))!r}: not Raspberry Pi OS / Debian"
        )
    if root_fs.stat("/usr/lib/aarch64-linux-gnu") is None:
        raise BaseImageRefused(
            "no /usr/lib/aarch64-linux-gnu: not an arm64 image (the 32-bit armhf image cannot run aarch64 wheels)"
        )
    if root_fs.stat("/usr/bin/python3") is None:
        raise BaseImageRefused("the root filesystem has no /usr/bin/python3")
    versions = sorted(
        (int(m.group(1)), m.group(0))
        for name in root_fs.listdir("/usr/lib")
        if (m := re.fullmatch(r"python3\.(\d+)", name))
    )
    if not versions:
        raise BaseImageRefused(
            "no /usr/lib/python3.X in the root filesystem: cannot tell which CPython the image has"
        )
    python = versions[-1][1].removeprefix("python")
    for etc in ("/etc/passwd", "/etc/group"):
        if root_fs.stat(etc) is None:
            raise BaseImageRefused(f"the root filesystem has no {etc}")
    if root_fs.stat(APPLIANCE_ROOT) is not None:
        raise BaseImageRefused(
            f"the base already contains {APPLIANCE_ROOT}: build from the official image, not from an appliance image"
        )
    status = (root_fs.read("/var/lib/dpkg/status") or b"").decode(errors="replace")
    dpkg = _dpkg_versions(
        status,
        {"libc6", f"python{python}", f"python{python}-minimal", f"libpython{python}-minimal"},
    )
    codename = osr.get("VERSION_CODENAME", "")
    glibc = base_glibc(root_fs, dpkg.get("libc6", ""))
    python_full = python
    for pkg in (f"python{python}-minimal", f"python{python}", f"libpython{python}-minimal"):
        if m := re.match(r"(\d+\.\d+\.\d+)", dpkg.get(pkg, "")):
            python_full = m.group(1)
            break
    return BaseInfo(
        boot=boot,
        root=root,
        pretty_name=osr.get("PRETTY_NAME", osr.get("ID", "?")),
        codename=codename,
        python=python,
        python_full=python_full,
        glibc=glibc,
    )
