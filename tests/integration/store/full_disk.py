"""Real full file systems for the storage tests: a small tmpfs mounted for the test (root only)
and a file that grows until the file system says ENOSPC. Shared by the store tests of
``tests/integration/store`` (importable: the test files put this folder on ``sys.path``)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["fill", "small_tmpfs"]


def fill(path: Path) -> None:
    """Write zeros to ``path`` until the file system says ENOSPC."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, bytes(4096))
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of ``size`` (``"64k"``, ``"2m"``) at ``where`` (created), unmounted after;
    skips the test when not root (mounting needs it)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    where.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)
