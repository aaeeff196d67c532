"""One ``run`` per data directory and per runtime directory: an exclusive ``fcntl`` lock in each.

Two supervisors on one directory would share (and clobber) the state file, the journal and the
latch. The lock is held on an open file for the life of the process and released by the kernel
when it exits, however it exits (no stale lock after a crash or a power loss).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from appliance.supervisor.errors import AlreadyRunning

__all__ = ["LOCK_NAME", "hold_dir_locks"]

LOCK_NAME = "arb-appliance.lock"


@contextlib.contextmanager
def hold_dir_locks(*dirs: Path) -> Iterator[None]:
    """Lock each directory (deduplicated) for the duration; :class:`AlreadyRunning` if taken."""
    with contextlib.ExitStack() as stack:
        seen: set[Path] = set()
        for d in dirs:
            d = Path(d).resolve()
            if d in seen:
                continue
            seen.add(d)
            stack.enter_context(_lock(d / LOCK_NAME))
        yield


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise AlreadyRunning(
                f"{path.parent} is in use by another arb-appliance run (pid {holder}); "
                "stop it first, or give this one its own data_dir and runtime_dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
