"""Running the host tools (sfdisk, mtools, debugfs, pip ...) and reporting progress."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from imgbuild.errors import BuildStepFailed, BuildToolMissing

__all__ = ["HOST_TOOLS", "Progress", "require_tools", "run"]

# tool -> Debian package that provides it (the Makefile installs these).
HOST_TOOLS = {
    "sfdisk": "fdisk",
    "mdir": "mtools",
    "mcopy": "mtools",
    "mtype": "mtools",
    "mdel": "mtools",
    "debugfs": "e2fsprogs",
    "dumpe2fs": "e2fsprogs",
    "e2fsck": "e2fsprogs",
    "resize2fs": "e2fsprogs",
    "dd": "coreutils",
    "xz": "xz-utils",
    "systemd-sysusers": "systemd",
}

# mtools refuses some valid images made by other tools without this (media descriptor checks).
MTOOLS_ENV = {"MTOOLS_SKIP_CHECK": "1", "MTOOLS_NO_VFAT": "0"}


def _sbin_path() -> str:
    path = os.environ.get("PATH", "")
    extra = [p for p in ("/usr/sbin", "/sbin") if p not in path.split(os.pathsep)]
    return os.pathsep.join([path, *extra]) if extra else path


def require_tools(names: Sequence[str] = tuple(HOST_TOOLS)) -> None:
    """Raise :class:`BuildToolMissing` naming every missing tool and its package."""
    missing = [n for n in names if shutil.which(n, path=_sbin_path()) is None]
    if missing:
        pkgs = sorted({HOST_TOOLS.get(n, n) for n in missing})
        raise BuildToolMissing(
            f"missing host tools {', '.join(missing)}: install {' '.join(pkgs)} (make setup does)"
        )


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``cmd``; on failure raise :class:`BuildStepFailed` with the command and stderr tail."""
    full_env = {**os.environ, "PATH": _sbin_path(), "LC_ALL": "C", **(env or {})}
    argv = [os.fspath(c) for c in cmd]
    try:
        proc = subprocess.run(
            argv, input=input, env=full_env, cwd=cwd, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise BuildToolMissing(f"{argv[0]!r} is not installed") from None
    if check and proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()[-12:]
        raise BuildStepFailed(
            f"{' '.join(argv[:6])}{' ...' if len(argv) > 6 else ''} exited {proc.returncode}: "
            + " | ".join(tail)
        )
    return proc


class Progress:
    """Numbered steps with elapsed times on stderr: ``[3/9] install the venv ... 12.4 s``."""

    def __init__(self, total: int, *, stream=None) -> None:
        self._total = total
        self._n = 0
        self._stream = stream or sys.stderr
        self._t0 = time.monotonic()
        self._step_t0 = self._t0

    def step(self, text: str) -> None:
        now = time.monotonic()
        if self._n:
            self.note(f"({now - self._step_t0:.1f} s)")
        self._n += 1
        self._step_t0 = now
        print(f"[{self._n}/{self._total}] {text}", file=self._stream, flush=True)

    def note(self, text: str) -> None:
        print(f"      {text}", file=self._stream, flush=True)

    def done(self, text: str) -> float:
        now = time.monotonic()
        self.note(f"({now - self._step_t0:.1f} s)")
        elapsed = now - self._t0
        print(f"done in {elapsed:.1f} s: {text}", file=self._stream, flush=True)
        return elapsed
