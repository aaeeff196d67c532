"""Recovering the journal: salvage a damaged one into a new file, or start afresh; never delete.

``arb-appliance journal recover`` (README: "Recovering the journal"):

1. the damaged file is read by SQLite's own recovery, ``sqlite3 DAMAGED .recover`` piped into a
   scratch database, when the ``sqlite3`` command-line tool is installed (it reads pages the b-tree
   no longer reaches); without it, or when its output does not open, the damaged file is read
   directly;
2. a new journal is created with this code's schema, and every table's readable rows are copied
   into it in rowid order, in chunks; a chunk that hits a damaged page is shrunk to read right up
   to it, and the first readable rowid past it is found by an exponential then binary search, so
   one bad page costs only its own rows; a table whose b-tree is unreachable is read through its
   indexes (an index is a second b-tree listing the rowids);
3. the new file is checked (``integrity_check``), the damaged one is renamed to
   ``journal.sqlite.damaged-<UTC time>`` (its ``-wal`` beside it) and the new one takes its place.

``arb-appliance journal fresh`` renames the journal to ``journal.sqlite.old-<UTC time>``; the next
``run`` creates an empty one. Both refuse while a supervisor is running on the directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from appliance.errors import UserError
from appliance.store.journal import Journal
from appliance.store.preflight import check_journal
from appliance.store.schema import JOURNAL_NAME
from appliance.store.statefile import STATE_FILE_NAME, StateReader

__all__ = ["JournalBusy", "Recovered", "move_aside", "recover_journal", "supervisor_running"]

CHUNK = 4096  # rowids per SELECT when salvaging
UNREADABLE = -1  # "lost" of a table none of whose rows could be found
ROWID_MAX = 2**63 - 1
SIDE_FILES = ("-wal", "-shm")


class JournalBusy(UserError):
    """A supervisor is running on this data directory: stop it first."""


@dataclass
class Recovered:
    path: Path  # the new journal
    kept: Path  # the damaged file, renamed
    method: str  # "sqlite3 .recover" or "python"
    rows: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)  # rowids skipped; -1: the whole table


def stamp(now: float | None = None) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))


def supervisor_running(runtime_dir: Path) -> int | None:
    """The pid of a live supervisor publishing ``runtime_dir``'s state file, else None."""
    try:
        with StateReader(Path(runtime_dir) / STATE_FILE_NAME) as reader:
            snap = reader.snapshot(prices=False)
    except Exception:  # no file, not ours, mid-update forever: nobody we know is running
        return None
    return snap.pid if snap.writer_alive() else None


def refuse_if_running(runtime_dir: Path) -> None:
    pid = supervisor_running(runtime_dir)
    if pid is not None:
        raise JournalBusy(
            f"the supervisor (pid {pid}) is running on this journal: stop it first "
            "(systemctl stop arb-appliance)"
        )


def move_aside(journal: Path, suffix: str) -> Path:
    """Rename ``journal`` (and its ``-wal``/``-shm``) to ``<name>.<suffix>``; return the new path."""
    target = journal.with_name(f"{journal.name}.{suffix}")
    if target.exists():
        raise UserError(f"{str(target)!r} already exists; not overwriting it")
    os.rename(journal, target)
    for side in SIDE_FILES:
        src = journal.with_name(journal.name + side)
        if src.exists():
            os.rename(src, target.with_name(target.name + side))
    _fsync_dir(journal.parent)
    return target


def recover_journal(journal: Path, *, use_cli: bool = True, now: float | None = None) -> Recovered:
    """Salvage ``journal`` into a new journal at the same path; the damaged file is kept."""
    journal = Path(journal)
    if not journal.is_file():
        raise UserError(f"no journal at {str(journal)!r}")
    when = stamp(now)
    new = journal.with_name(f"{JOURNAL_NAME}.recovered-{when}")
    scratch = journal.with_name(f"{JOURNAL_NAME}.recover-scratch-{when}")
    for leftover in (new, scratch):
        _remove(leftover)
    source, method = journal, "python"
    try:
        cli = shutil.which("sqlite3") if use_cli else None
        if cli is not None and _cli_recover(cli, journal, scratch):
            source, method = scratch, "sqlite3 .recover"
        result = Recovered(path=journal, kept=journal, method=method)
        _salvage(source, new, result)
        check_journal(new)  # the new file must be sound before it replaces anything
    except BaseException:
        _remove(new)
        raise
    finally:
        _remove(scratch)
    result.kept = move_aside(journal, f"damaged-{when}")
    os.rename(new, journal)
    _fsync_dir(journal.parent)
    return result


def _cli_recover(cli: str, damaged: Path, scratch: Path) -> bool:
    """``sqlite3 damaged .recover | sqlite3 scratch``; True when the scratch database opens."""
    with subprocess.Popen(
        [cli, "-readonly", str(damaged), ".recover"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as dump:
        load = subprocess.run(
            [cli, str(scratch)], stdin=dump.stdout, capture_output=True, check=False
        )
        assert dump.stdout is not None
        dump.stdout.close()
    if dump.returncode != 0 or not scratch.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{urllib.parse.quote(str(scratch))}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return load.returncode == 0 or scratch.stat().st_size > 0


def _salvage(source: Path, new: Path, result: Recovered) -> None:
    """Copy every readable row of ``source``'s tables that the new schema has into ``new``."""
    target = Journal(new)
    try:
        tables = [
            name
            for (name,) in target.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'schema_version' "
                "AND name NOT LIKE 'sqlite_%'"
            )
        ]
        uri = f"file:{urllib.parse.quote(str(source.resolve()))}?mode=ro"
        src = sqlite3.connect(uri, uri=True)
        try:
            for table in tables:
                result.rows[table], lost = _copy_table(src, target, table)
                if lost:
                    result.lost[table] = lost
        finally:
            src.close()
    finally:
        target.close()


def _copy_table(src: sqlite3.Connection, target: Journal, table: str) -> tuple[int, int]:
    """``(rows copied, rowids skipped)``; ``UNREADABLE`` when no row could be reached."""
    info = list(target.conn.execute(f"PRAGMA table_info({table})"))
    new_cols = [row[1] for row in info]
    pks = [row for row in info if row[5]]
    aliased = len(pks) == 1 and pks[0][2].upper() == "INTEGER"  # the rowid has a column name
    try:
        old_cols = [row[1] for row in src.execute(f"PRAGMA table_info({table})")]
    except sqlite3.Error:
        return 0, UNREADABLE
    cols = [c for c in new_cols if c in old_cols]
    if not cols:
        return 0, 0
    keep = cols if aliased else ["rowid", *cols]  # keep rowid order (reserves: block order)
    select = f"SELECT rowid, {', '.join(keep)} FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT ?"
    insert = (
        f"INSERT OR IGNORE INTO {table} ({', '.join(keep)}) VALUES ({', '.join('?' * len(keep))})"
    )

    def read(start: int, limit: int) -> list[tuple] | None:
        try:
            return src.execute(select, (start, limit)).fetchall()
        except sqlite3.Error:
            return None

    failed = False
    try:
        first = src.execute(f"SELECT min(rowid) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        first, failed = None, True  # the leftmost leaf is damaged: our rowids start at 1
    copied = skipped = 0
    pos, limit = (1 if first is None else first), CHUNK
    with target.transaction():
        scanned, complete = _scan(src, f"SELECT rowid, {', '.join(keep)} FROM {table}")
        for chunk in scanned:  # a plain scan first: no seeks, so out-of-order pages still read
            try:
                target.conn.executemany(insert, [row[1:] for row in chunk])
                copied += len(chunk)
            except sqlite3.Error:  # a garbage cell that breaks a constraint
                skipped += len(chunk)
            pos = max(pos, chunk[-1][0] + 1)
        if complete:
            return copied, skipped
        failed = True
        while pos <= ROWID_MAX:
            batch = read(pos, limit)
            if batch is None:
                failed = True
                if limit > 1:
                    limit //= 2  # read right up to the damage
                    continue
                resume = _next_readable(read, pos)
                if resume is None:
                    break
                skipped += resume - pos
                pos, limit = resume, CHUNK
                continue
            if not batch:
                break
            try:
                target.conn.executemany(insert, [row[1:] for row in batch])
                copied += len(batch)
            except sqlite3.Error:
                skipped += len(batch)
            pos, limit = batch[-1][0] + 1, CHUNK
        if failed and copied == 0:  # the table's b-tree is unreachable: try its indexes
            rowids = _rowids_from_indexes(src, table)
            for rowid in rowids:
                row = read(rowid, 1)
                if row and row[0][0] == rowid:
                    with contextlib.suppress(sqlite3.Error):
                        target.conn.execute(insert, row[0][1:])
                        copied += 1
            if copied == 0:
                return 0, UNREADABLE
            skipped = len(rowids) - copied
    return copied, skipped


def _scan(src: sqlite3.Connection, sql: str) -> tuple[list[list[tuple]], bool]:
    """Chunks of a table scan, until its end (True) or the first damaged page (False)."""
    chunks: list[list[tuple]] = []
    try:
        cursor = src.execute(sql)
        while chunk := cursor.fetchmany(CHUNK):
            chunks.append(chunk)
    except sqlite3.Error:
        return chunks, False
    return chunks, True


def _next_readable(read, pos: int) -> int | None:
    """The smallest rowid above ``pos`` from which a read works (exponential, then binary)."""
    step = 1
    while pos + step <= ROWID_MAX and read(pos + step, 1) is None:
        step *= 2
    if pos + step > ROWID_MAX:
        return ROWID_MAX if read(ROWID_MAX, 1) is not None else None
    lo, hi = pos + step // 2 + 1, pos + step  # read(hi) works, read(lo - 1) failed
    while lo < hi:
        mid = (lo + hi) // 2
        if read(mid, 1) is None:
            lo = mid + 1
        else:
            hi = mid
    return hi


def _rowids_from_indexes(src: sqlite3.Connection, table: str) -> list[int]:
    """The rowids any readable index of ``table`` still lists (an index is a second b-tree)."""
    found: set[int] = set()
    try:
        indexes = [row[1] for row in src.execute(f"PRAGMA index_list({table})")]
    except sqlite3.Error:
        return []
    for name in indexes:
        with contextlib.suppress(sqlite3.Error):
            found.update(
                r for (r,) in src.execute(f'SELECT rowid FROM {table} INDEXED BY "{name}"')
            )
    return sorted(found)


def _remove(path: Path) -> None:
    for p in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
