"""Start-up checks of the storage, before any network I/O: one line and exit 2, never a traceback.

:func:`check_storage` is what ``arb-appliance run`` calls first (and the store task repeats
:func:`check_journal` before it opens the journal):

* the directories (:func:`appliance.config.dirs.check_storage_dirs`, creating them);
* room: ``data_dir`` needs :data:`MIN_DATA_FREE` bytes free, ``runtime_dir`` the state file's
  size plus a margin (the state file itself is then allocated with ``posix_fallocate``, so a full
  tmpfs is an error at creation, never a SIGBUS later);
* the journal (:func:`check_journal`): an existing 0-byte journal is refused (``JournalEmpty``:
  its history is gone; ``arb-appliance journal fresh`` moves it aside), a file that is not SQLite
  or fails ``PRAGMA integrity_check`` (``quick_check`` above :data:`QUICK_CHECK_ABOVE` bytes) is
  "journal damaged" (``arb-appliance journal recover``).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import urllib.parse
from pathlib import Path
from typing import Any

from appliance.config.dirs import check_storage_dirs
from appliance.store.errors import JournalCorrupt, JournalEmpty, StorageFull
from appliance.store.schema import JOURNAL_NAME
from appliance.store.statefile import file_size

__all__ = [
    "MIN_DATA_FREE",
    "MIN_RUNTIME_FREE",
    "QUICK_CHECK_ABOVE",
    "SQLITE_MAGIC",
    "check_free_space",
    "check_journal",
    "check_storage",
    "damaged",
    "is_disk_full",
]

SQLITE_MAGIC = b"SQLite format 3\x00"
MIN_DATA_FREE = 4 << 20  # WAL growth and a checkpoint's worth of pages
MIN_RUNTIME_FREE = file_size(1024) + (16 << 10)  # the state file for 1,024 pools and a margin
QUICK_CHECK_ABOVE = 256 << 20  # integrity_check reads every index too; quick_check above this
RECOVERY_HINT = "see README: recovering the journal (arb-appliance journal recover)"
SQLITE_FULL = 13


def damaged(path: Path, why: str) -> JournalCorrupt:
    return JournalCorrupt(f"journal damaged: {str(path)!r}: {why}; {RECOVERY_HINT}")


def is_disk_full(exc: BaseException) -> bool:
    """``ENOSPC`` from the OS or ``SQLITE_FULL`` from SQLite."""
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL or "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (28, 122)  # ENOSPC, EDQUOT


def check_storage(cfg: Any) -> None:
    """Everything the store needs before the supervisor starts; raises a one-line error."""
    check_storage_dirs(cfg, create=True)
    storage = getattr(cfg, "storage", cfg)
    check_free_space(Path(storage.data_dir), MIN_DATA_FREE, "storage.data_dir")
    check_free_space(Path(storage.runtime_dir), MIN_RUNTIME_FREE, "storage.runtime_dir")
    check_journal(Path(storage.data_dir) / JOURNAL_NAME)


def check_free_space(directory: Path, need: int, key: str) -> None:
    st = os.statvfs(directory)
    free = st.f_bavail * st.f_frsize
    if free < need:
        raise StorageFull(
            f"{key} {str(directory)!r} is full: {free} bytes free, at least {need} needed"
        )


def check_header(path: Path) -> bool:
    """Cheap checks of an existing journal (no SQL). Returns False when there is no file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode):
        raise damaged(path, "is not a regular file")
    if st.st_size == 0:
        raise JournalEmpty(
            f"journal {str(path)!r} is empty (0 bytes): its history is gone, and a new journal "
            "would reset the P&L; refusing to start. To start afresh (the old file is kept): "
            "arb-appliance journal fresh (see README: recovering the journal)"
        )
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise damaged(path, f"cannot be read ({exc.strerror})") from None
    if head != SQLITE_MAGIC:
        raise damaged(path, "not an SQLite database (bad header)")
    return True


def check_journal(path: Path, *, quick_above: int = QUICK_CHECK_ABOVE) -> str:
    """``"absent"``, ``"ok"`` or a raised :class:`JournalCorrupt` / :class:`JournalEmpty`."""
    if not check_header(path):
        return "absent"
    pragma = "quick_check" if path.stat().st_size > quick_above else "integrity_check"
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise damaged(path, " ".join(str(exc).split())) from None
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        rows = [row[0] for row in conn.execute(f"PRAGMA {pragma}(20)")]
    except sqlite3.Error as exc:
        if is_disk_full(exc):
            raise StorageFull(f"storage.data_dir is full: {str(path)!r}: {exc}") from None
        raise damaged(path, str(exc)) from None
    finally:
        conn.close()
    if rows != ["ok"]:
        first = " ".join((rows[0] if rows else "no answer").split())  # one line
        more = f" (+{len(rows) - 1} more)" if len(rows) > 1 else ""
        raise damaged(path, f"{pragma}: {first}{more}")
    return "ok"
