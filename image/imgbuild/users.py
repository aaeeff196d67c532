"""The appliance's users and groups, added to the image by systemd-sysusers itself.

The image's account files are copied out, ``systemd-sysusers --root=`` applies
``systemd/sysusers.d/arb-appliance.conf`` to them (the same file is installed on the image, so
a boot-time sysusers run finds everything in place), and the changed files are written back
with their original modes and owners (``/etc/shadow`` stays 0640 root:shadow).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from imgbuild.errors import BaseImageRefused
from imgbuild.ext4 import Ext4, Script
from imgbuild.tools import run

__all__ = ["ACCOUNT_FILES", "add_users"]

ACCOUNT_FILES = ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow")


def add_users(root_fs: Ext4, sysusers_conf: Path, script: Script, staging: Path) -> list[str]:
    """Queue the rewritten account files into ``script``; returns the lines sysusers printed."""
    with tempfile.TemporaryDirectory(prefix="arb-sysusers-") as tmp:
        etc = Path(tmp) / "etc"
        etc.mkdir()
        originals = {}
        for path in (*ACCOUNT_FILES, "/etc/login.defs"):
            data = root_fs.read(path)
            if data is None:
                if path in ("/etc/passwd", "/etc/group"):
                    raise BaseImageRefused(f"the root filesystem has no {path}")
                continue
            (etc / Path(path).name).write_bytes(data)
            originals[path] = data
        proc = run(["systemd-sysusers", f"--root={tmp}", str(sysusers_conf.resolve())])
        for path in ACCOUNT_FILES:
            new = etc / Path(path).name
            if not new.exists() or originals.get(path) == new.read_bytes():
                continue
            node = root_fs.stat(path)
            dst = staging / ("account-" + new.name)
            dst.write_bytes(new.read_bytes())
            if node is not None:
                script.remove(path)
                mode, uid, gid = node.mode, node.uid, node.gid
            else:  # shadow files missing in the base: root-only, like Debian's
                mode, uid, gid = 0o640, 0, 0
            script.write(dst, path, mode=mode, uid=uid, gid=gid)
        return [
            line
            for line in (proc.stdout + proc.stderr).decode(errors="replace").splitlines()
            if line.strip()
        ]
