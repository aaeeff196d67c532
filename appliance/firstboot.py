"""Import the owner's config and key from the boot partition (``arb-appliance-firstboot.service``).

The boot partition is FAT: anyone on the box can read it and it has no owners or modes. So at
every boot (the unit is conditioned on either file being there):

- ``arb-appliance.toml`` is copied to ``/etc/arb-appliance.toml`` (0640 root:arb) when it
  differs from the imported copy; it stays on the boot partition so the owner can edit it on a
  PC and reboot;
- ``arb-appliance.key`` is written to ``/var/lib/arb-appliance/key`` (0600, owned by the
  service user, via a temporary file, fsync and rename), then overwritten with zeros on the
  FAT partition and deleted. (An SD card's flash translation layer may still keep an old copy
  of the sectors: use a dedicated trading key.)

Run as ``python -m appliance.firstboot --boot /boot/firmware --etc /etc
--state /var/lib/arb-appliance --user arb``. Never prints the key.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from appliance.errors import OperationalError

__all__ = ["CONFIG_NAME", "KEY_NAME", "FirstbootError", "import_config", "import_key", "main"]

CONFIG_NAME = "arb-appliance.toml"
KEY_NAME = "arb-appliance.key"
_KEY_RE = re.compile(rb"\s*(0x)?[0-9a-fA-F]{64}\s*")


class FirstbootError(OperationalError):
    """The import failed; the files stay where they were and the unit fails visibly."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(dst: Path, data: bytes, *, mode: int, uid: int | None, gid: int | None) -> None:
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)
        if uid is not None or gid is not None:
            os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, dst)
    _fsync_dir(dst.parent)


def import_config(boot: Path, etc: Path, *, gid: int | None) -> bool:
    """Copy the boot partition's config to ``etc``; True when the imported copy changed."""
    src = boot / CONFIG_NAME
    if not src.is_file():
        return False
    data = src.read_bytes()
    dst = etc / CONFIG_NAME
    try:
        if dst.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    try:
        _write_atomic(dst, data, mode=0o640, uid=0 if gid is not None else None, gid=gid)
    except OSError as exc:
        raise FirstbootError(f"cannot write {str(dst)!r}: {exc.strerror}") from exc
    return True


def import_key(boot: Path, state: Path, *, uid: int | None, gid: int | None) -> bool:
    """Move the boot partition's key into ``state/key`` (0600); True when a key was imported."""
    src = boot / KEY_NAME
    if not src.is_file():
        return False
    data = src.read_bytes()
    if not _KEY_RE.fullmatch(data):
        print(
            f"warning: {src} does not look like a 0x-hex private key (64 hex digits); "
            "imported anyway, the supervisor will refuse it",
            file=sys.stderr,
        )
    try:
        if not state.is_dir():
            state.mkdir(mode=0o750, parents=True)
            if uid is not None:
                os.chown(state, uid, gid if gid is not None else -1)
        _write_atomic(state / "key", data, mode=0o600, uid=uid, gid=gid)
    except OSError as exc:
        raise FirstbootError(f"cannot write the key into {str(state)!r}: {exc.strerror}") from exc
    try:
        with open(src, "r+b") as fh:  # FAT overwrites in place: the clusters lose the key
            fh.write(bytes(len(data)))
            fh.flush()
            os.fsync(fh.fileno())
        src.unlink()
        _fsync_dir(boot)
    except OSError as exc:
        raise FirstbootError(
            f"key imported but {str(src)!r} could not be removed: {exc.strerror}"
        ) from exc
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m appliance.firstboot", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--boot", type=Path, default=Path("/boot/firmware"))
    parser.add_argument("--etc", type=Path, default=Path("/etc"))
    parser.add_argument("--state", type=Path, default=Path("/var/lib/arb-appliance"))
    parser.add_argument(
        "--user", default="arb", help="the supervisor's user; its group may read the config"
    )
    args = parser.parse_args(argv)
    try:
        entry = pwd.getpwnam(args.user)
    except KeyError:
        print(f"firstboot: no user {args.user!r} (is the image complete?)", file=sys.stderr)
        return 1
    as_root = os.geteuid() == 0
    uid = entry.pw_uid if as_root else None
    gid = grp.getgrgid(entry.pw_gid).gr_gid if as_root else None
    try:
        if import_config(args.boot, args.etc, gid=gid):
            print(f"imported {args.boot / CONFIG_NAME} -> {args.etc / CONFIG_NAME}")
        if import_key(args.boot, args.state, uid=uid, gid=gid):
            print(
                f"moved {args.boot / KEY_NAME} -> {args.state / 'key'} (0600) and deleted it from {args.boot}"
            )
    except FirstbootError as exc:
        print(f"firstboot: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
