"""An ext4 filesystem in a plain file, read and written with debugfs (no mount, no root).

Writes are batched into one ``debugfs -w -f script`` run: thousands of files take a second.
Every inode we create gets its owner and mode set explicitly (``set_inode_field``), so the
result does not depend on who runs the build or on their umask.
"""

from __future__ import annotations

import posixpath
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from imgbuild.errors import BuildStepFailed
from imgbuild.tools import run

__all__ = ["Ext4", "Inode", "Script"]

_S_IFMT = 0o170000
_TYPES = {"regular": 0o100000, "directory": 0o040000, "symlink": 0o120000}


@dataclass(frozen=True)
class Inode:
    type: str  # "regular", "directory", "symlink", ...
    mode: int  # permission bits only
    uid: int
    gid: int
    size: int
    link: str | None = None  # symlink target


def _quote(path: str) -> str:
    if any(c in path for c in '"\n'):
        raise BuildStepFailed(f"path {path!r} cannot be passed to debugfs")
    return f'"{path}"' if " " in path else path


@dataclass
class Script:
    """A batch of debugfs write commands."""

    lines: list[str] = field(default_factory=list)

    def _own(self, path: str, kind: str, mode: int, uid: int, gid: int) -> None:
        q = _quote(path)
        self.lines += [
            f"set_inode_field {q} mode 0{_TYPES[kind] | mode:o}",
            f"set_inode_field {q} uid {uid}",
            f"set_inode_field {q} gid {gid}",
        ]

    def mkdir(self, path: str, *, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        self.lines.append(f"mkdir {_quote(path)}")
        self._own(path, "directory", mode, uid, gid)

    def write(self, src: Path, path: str, *, mode: int = 0o644, uid: int = 0, gid: int = 0) -> None:
        self.lines.append(f"write {_quote(str(src))} {_quote(path)}")
        self._own(path, "regular", mode, uid, gid)

    def symlink(self, path: str, target: str) -> None:
        self.lines.append(f"symlink {_quote(path)} {_quote(target)}")
        self.lines += [
            f"set_inode_field {_quote(path)} uid 0",
            f"set_inode_field {_quote(path)} gid 0",
        ]

    def remove(self, path: str) -> None:
        self.lines.append(f"rm {_quote(path)}")


_STAT_HEAD = re.compile(r"Type:\s+(\S+)\s+Mode:\s+(\d+)")
_STAT_OWNER = re.compile(r"User:\s+(\d+)\s+Group:\s+(\d+)(?:\s+Project:\s+\d+)?\s+Size:\s+(\d+)")
_FAST_LINK = re.compile(r'Fast link dest: "(.*)"')


class Ext4:
    """Read and modify the ext4 filesystem stored in ``path`` (a partition extracted to a file)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # -- reading -------------------------------------------------------------------------------
    def superblock(self) -> dict[str, str]:
        out = run(["dumpe2fs", "-h", self.path]).stdout.decode(errors="replace")
        info = {}
        for line in out.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                info[key.strip()] = value.strip()
        return info

    def stat(self, path: str) -> Inode | None:
        """The inode at ``path`` (not following a final symlink), or None when absent."""
        out = run(["debugfs", "-R", f"stat {_quote(path)}", self.path]).stdout.decode(
            errors="replace"
        )
        head = _STAT_HEAD.search(out)
        owner = _STAT_OWNER.search(out)
        if not head or not owner:
            return None
        link = None
        if head.group(1) == "symlink":
            fast = _FAST_LINK.search(out)
            link = fast.group(1) if fast else self._cat(path).decode()
        return Inode(
            type=head.group(1),
            mode=int(head.group(2), 8) & 0o7777,
            uid=int(owner.group(1)),
            gid=int(owner.group(2)),
            size=int(owner.group(3)),
            link=link,
        )

    def resolve(self, path: str) -> str:
        """``path`` with every symlink component resolved inside this filesystem."""
        parts = [p for p in path.split("/") if p]
        resolved = "/"
        hops = 0
        while parts:
            candidate = posixpath.join(resolved, parts.pop(0))
            node = self.stat(candidate)
            if node is not None and node.type == "symlink" and node.link:
                hops += 1
                if hops > 16:
                    raise BuildStepFailed(f"too many symlinks resolving {path!r}")
                base = "/" if node.link.startswith("/") else resolved
                parts = [p for p in node.link.split("/") if p] + parts
                resolved = base
                continue
            resolved = posixpath.normpath(candidate)
        return resolved

    def exists(self, path: str) -> bool:
        return self.stat(path) is not None

    def _cat(self, path: str) -> bytes:
        return run(["debugfs", "-R", f"cat {_quote(path)}", self.path]).stdout

    def read(self, path: str) -> bytes | None:
        """Contents of the regular file at ``path`` (symlinks followed), None when absent."""
        real = self.resolve(path)
        node = self.stat(real)
        if node is None or node.type != "regular":
            return None
        return self._cat(real)

    def listdir(self, path: str) -> list[str]:
        out = run(
            ["debugfs", "-R", f"ls -p {_quote(self.resolve(path))}", self.path]
        ).stdout.decode(errors="replace")
        names = []
        for line in out.splitlines():
            fields = line.split("/")
            if len(fields) >= 7 and fields[5] not in (".", "..", ""):
                names.append(fields[5])
        return names

    # -- writing -------------------------------------------------------------------------------
    def apply(self, script: Script) -> None:
        """Run ``script`` in one debugfs session; any error message fails the build."""
        with tempfile.NamedTemporaryFile("w", suffix=".debugfs", delete=False) as fh:
            fh.write("\n".join(script.lines) + "\n")
            name = fh.name
        try:
            proc = run(["debugfs", "-w", "-f", name, self.path])
        finally:
            Path(name).unlink(missing_ok=True)
        errors = [
            line
            for line in proc.stderr.decode(errors="replace").splitlines()
            if line.strip() and not line.startswith("debugfs ")
        ]
        if errors:
            raise BuildStepFailed(f"debugfs reported {len(errors)} error(s), first: {errors[0]!r}")

    def check(self) -> None:
        """Force a full e2fsck (repairing nothing); a non-clean result fails the build."""
        proc = run(["e2fsck", "-f", "-n", self.path], check=False)
        if proc.returncode != 0:
            tail = proc.stdout.decode(errors="replace").strip().splitlines()[-5:]
            raise BuildStepFailed(
                f"e2fsck found problems in {str(self.path)!r}: {' | '.join(tail)}"
            )

    def grow(self, new_bytes: int) -> None:
        """Grow the file and the filesystem to ``new_bytes`` (e2fsck -f first, as resize2fs asks)."""
        with open(self.path, "r+b") as fh:
            fh.truncate(new_bytes)
        proc = run(["e2fsck", "-f", "-y", self.path], check=False)
        if proc.returncode not in (0, 1):
            raise BuildStepFailed(
                f"e2fsck before resize exited {proc.returncode}: {proc.stdout.decode()[-300:]!r}"
            )
        run(["resize2fs", self.path, f"{new_bytes // 1024}K"])
