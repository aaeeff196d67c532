"""The journal ``<data_dir>/journal.sqlite``: the synchronous API of its single writer.

Opening refuses an existing journal that is empty (0 bytes) or not SQLite
(:func:`~appliance.store.preflight.check_header`): a new journal is created only where there is
no file. Used by the store task (:mod:`appliance.store.writer`), by startup code (``last_mode()``,
``pending_trades()``, ``load_state()``) and by tests. Opening migrates the schema; a journal written
by newer code refuses to open (:class:`JournalTooNew`) rather than being half-understood.

Durability: WAL, ``synchronous=NORMAL`` for bulk rows (a power cut may lose the last seconds of
reserves, never corrupt the file) and ``synchronous=FULL`` for the transactions of
:meth:`transaction(durable=True) <Journal.transaction>` (written-ahead trades, mode changes): the
WAL is fsynced before COMMIT returns.

SD wear: new journals use 1 KiB pages (:data:`PAGE_SIZE`); reserves are stored only when they change, raw for ``retention_days`` and then thinned to
one row per pool per minute (:meth:`apply_retention`); :meth:`checkpoint` truncates the WAL and
:meth:`vacuum_step` returns freed pages (``auto_vacuum=INCREMENTAL``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from appliance.events import (
    AlertRaised,
    BlockSeen,
    ModeChanged,
    TokenInfo,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.store import queries
from appliance.store.errors import JournalTooNew, StorageFull, StoreError
from appliance.store.preflight import check_header, damaged, is_disk_full
from appliance.store.schema import JOURNAL_NAME, MIGRATIONS

__all__ = ["JOURNAL_NAME", "Journal", "PoolRow", "ReserveRow"]

FINAL_STATUSES = ("mined", "reverted", "dropped", "paper")
# A new journal's page size. Every commit rewrites the last page of each table and index it
# touches (a WAL frame each, and a trade's commit touches four); with 1 KiB pages that costs a
# quarter of 4 KiB pages, and the kernel merges the WAL's small frames in its page cache.
# An existing journal keeps the page size it was created with (changing it is a full VACUUM).
PAGE_SIZE = 1024
RETENTION_KEY = "store.retention_block"

# (block, pool_id, reserve0 decimal, reserve1 decimal)
ReserveRow = tuple[int, int, str, str]
# (id, address, dex, token0, token1, fee_bps); dex "" marks a placeholder
# (id, address, dex, token0, token1, fee_bps[, kind]): kind defaults to "uniswap_v2"
PoolRow = (
    tuple[int, str, str, str | None, str | None, int | None]
    | tuple[int, str, str, str | None, str | None, int | None, str]
)


class Journal:
    """One read-write connection. Not thread-safe: one owner at a time (the store task)."""

    def __init__(self, path: Path | str, *, _creating: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not _creating and not self.path.exists():
            _create(self.path)
        check_header(self.path)  # an emptied or foreign file is refused, never silently replaced
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db = sqlite_utils.Database(conn, execute_plugins=False)
            self.conn = conn
            conn.execute("PRAGMA busy_timeout = 5000")
            if conn.execute("PRAGMA page_count").fetchone()[0] == 0:  # only before the first table
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            self.db.enable_wal()
            # the automatic checkpoint at a 4 MiB WAL whatever the page size (SQLite counts
            # pages: 1000 of 1 KiB would checkpoint, and copy the tables' last pages, 4x as often)
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            conn.execute(f"PRAGMA wal_autocheckpoint = {max(1000, (4 << 20) // page_size)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._synchronous = "NORMAL"
            self.commits = {"durable": 0, "normal": 0}  # since opened: the store logs it at stop
            self.migrate()
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(Exception):
                conn.close()
            if is_disk_full(exc):
                raise StorageFull(
                    f"storage.data_dir is full: {str(self.path)!r} cannot be written ({exc})"
                ) from None
            raise damaged(self.path, str(exc)) from None

    # ------------------------------------------------------------------------------- lifecycle
    def migrate(self) -> int:
        """Apply missing migrations; return the schema version."""
        version = queries.schema_version(self.conn)
        newest = MIGRATIONS[-1][0]
        if version > newest:
            self.conn.close()
            raise JournalTooNew(queries.too_new_message(self.path, version))
        for number, description, script in MIGRATIONS:
            if number <= version:
                continue
            with self.transaction(durable=True):
                for statement in _statements(script):
                    self.conn.execute(statement)
                self.conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version "
                    "(version INTEGER PRIMARY KEY, applied_at REAL NOT NULL, description TEXT NOT NULL)"
                )
                self.conn.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?)",
                    (number, time.time(), description),
                )
            version = number
        return version

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self, *, durable: bool = False) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; ``durable`` commits with ``synchronous=FULL``."""
        wanted = "FULL" if durable else "NORMAL"
        if wanted != self._synchronous:
            self.conn.execute(f"PRAGMA synchronous = {wanted}")
            self._synchronous = wanted
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        self.commits["durable" if durable else "normal"] += 1

    @contextlib.contextmanager
    def _atomic(self) -> Iterator[None]:
        """Join the open transaction, or run a bulk write in its own (one commit, not one per row)."""
        if self.conn.in_transaction:
            yield
        else:
            with self.transaction():
                yield

    def integrity_check(self) -> str:
        return "; ".join(row[0] for row in self.conn.execute("PRAGMA integrity_check"))

    # ----------------------------------------------------------------------------------- writes
    def add_blocks(self, blocks: Iterable[tuple[BlockSeen, float]]) -> None:
        with self._atomic():
            self.conn.executemany(
                "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (b.number, b.hash, b.parent_hash, b.timestamp, _dec(b.base_fee), seen_at)
                    for b, seen_at in blocks
                ],
            )

    def upsert_tokens(self, tokens: Iterable[TokenInfo]) -> None:
        with self._atomic():
            self.conn.executemany(
                "INSERT INTO tokens VALUES (?, ?, ?) ON CONFLICT (address) DO UPDATE SET "
                "symbol = excluded.symbol, decimals = excluded.decimals",
                [(t.address, t.symbol, t.decimals) for t in tokens],
            )

    def upsert_pools(self, rows: Sequence[PoolRow], now: float | None = None) -> None:
        """Insert pools with the ids the writer assigned, or complete a placeholder row.

        A placeholder (``dex == ""``: reserves seen before discovery) never overwrites details.
        """
        now = time.time() if now is None else now
        with self._atomic():
            self.conn.executemany(
                "INSERT INTO pools (id, address, dex, token0, token1, fee_bps, kind, discovered_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET "
                "dex = excluded.dex, token0 = excluded.token0, token1 = excluded.token1, "
                "fee_bps = excluded.fee_bps, kind = excluded.kind WHERE excluded.dex != ''",
                [(*row[:6], row[6] if len(row) > 6 else "uniswap_v2", now) for row in rows],
            )

    def deny_token(self, token: str, reason: str, at: float | None = None) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO denied_tokens VALUES (?, ?, ?)",
            (token, reason, time.time() if at is None else at),
        )

    def add_reserves(self, rows: Sequence[ReserveRow]) -> None:
        with self._atomic():
            self.conn.executemany("INSERT INTO reserves VALUES (?, ?, ?, ?)", rows)

    def add_opportunities(self, rows: Sequence[dict[str, Any]]) -> None:
        with self._atomic():
            self.conn.executemany(
                "INSERT OR REPLACE INTO opportunities VALUES (:id, :at, :block, :base_token, :path, "
                ":amount_in, :amount_out, :gross_profit, :net_profit, :gas_estimate, "
                ":gas_cost, :decision, :reason, :detail, :order_id)",
                rows,
            )

    def set_decisions(self, rows: Sequence[tuple[str, str, str, str | None, int]]) -> None:
        """``(decision, reason, detail, order_id, opportunity id)`` for already stored rows."""
        with self._atomic():
            self.conn.executemany(
                "UPDATE opportunities SET decision = ?, reason = ?, detail = ?, order_id = ? WHERE id = ?",
                rows,
            )

    def upsert_trade(
        self, trade: TradeUpdated, *, opportunity_id: int | None = None, now: float | None = None
    ) -> None:
        """Insert the trade or update it; fields the update leaves None keep their value."""
        now = time.time() if now is None else now
        self.conn.execute(
            "INSERT INTO trades (order_id, opportunity_id, sender, tx_hash, nonce, status, mode, "
            "amount_in, expected_profit, realized_profit, gas_used, gas_cost, block_sent, "
            "block_mined, reason, created_at, updated_at, net_profit, slippage_bps, base_token, "
            "value_ref) "
            "VALUES (:order_id, :opportunity_id, :sender, :tx_hash, :nonce, "
            ":status, :mode, :amount_in, :expected_profit, :realized_profit, :gas_used, :gas_cost, "
            ":block_sent, :block_mined, :reason, :now, :now, :net_profit, :slippage_bps, "
            ":base_token, :value_ref) "
            "ON CONFLICT (order_id) DO UPDATE SET "
            "opportunity_id = coalesce(excluded.opportunity_id, opportunity_id), "
            "sender = coalesce(excluded.sender, sender), "
            "tx_hash = coalesce(excluded.tx_hash, tx_hash), "
            "nonce = coalesce(excluded.nonce, nonce), status = excluded.status, "
            "realized_profit = coalesce(excluded.realized_profit, realized_profit), "
            "gas_used = coalesce(excluded.gas_used, gas_used), "
            "gas_cost = coalesce(excluded.gas_cost, gas_cost), "
            "block_sent = coalesce(excluded.block_sent, block_sent), "
            "block_mined = coalesce(excluded.block_mined, block_mined), "
            "net_profit = coalesce(excluded.net_profit, net_profit), "
            "slippage_bps = coalesce(excluded.slippage_bps, slippage_bps), "
            "base_token = coalesce(excluded.base_token, base_token), "
            "value_ref = coalesce(excluded.value_ref, value_ref), "
            "reason = CASE excluded.reason WHEN '' THEN reason ELSE excluded.reason END, "
            "updated_at = excluded.updated_at",
            {
                "order_id": trade.order_id,
                "opportunity_id": opportunity_id,
                "sender": getattr(trade, "sender", None),
                "tx_hash": trade.tx_hash,
                "nonce": trade.nonce,
                "status": str(trade.status),
                "mode": trade.mode.name,
                "amount_in": str(trade.amount_in),
                "expected_profit": str(trade.expected_profit),
                "realized_profit": _dec(trade.realized_profit),
                "gas_used": trade.gas_used,
                "gas_cost": _dec(trade.gas_cost),
                "block_sent": trade.block_sent,
                "block_mined": trade.block_mined,
                "reason": trade.reason,
                "now": now,
                "net_profit": _dec(trade.net_profit),
                "slippage_bps": trade.slippage_bps,
                "base_token": trade.base_token,
                "value_ref": _dec(trade.value_ref),
            },
        )

    def add_mode_change(self, event: ModeChanged) -> None:
        self.conn.execute(
            "INSERT INTO mode_changes (at, old, new, reason, source) VALUES (?, ?, ?, ?, ?)",
            (event.at, event.old.name, event.new.name, event.reason, event.source),
        )

    def add_alert(self, event: AlertRaised) -> None:
        self.conn.execute(
            "INSERT INTO alerts (at, priority, key, text, extra) VALUES (?, ?, ?, ?, ?)",
            (event.at, event.priority.name, event.key, event.text, json.dumps(event.extra)),
        )

    def save_state(self, key: str, value: Any, now: float | None = None) -> None:
        """Persist a JSON-able value (breaker or risk state) under ``key``."""
        # an upsert, not INSERT OR REPLACE: the row keeps its rowid, so the key's index page is
        # not rewritten each time (risk.last is saved at every periodic commit)
        self.conn.execute(
            "INSERT INTO state VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value, updated_at = excluded.updated_at",
            (key, json.dumps(value), time.time() if now is None else now),
        )

    def rollback_above(self, block: int) -> int:
        """A reorg: forget blocks, reserves and others' arbitrages above ``block``. Returns
        reserve rows deleted.

        Opportunities, trades, alerts and mode changes stay: they record what was decided and
        done, which the reorg does not undo (the executor reconciles its own trades).
        """
        with self._atomic():
            self.conn.execute("DELETE FROM blocks WHERE number > ?", (block,))
            seen = self._first_rowid_after("arbitrages", "block", block)
            if seen is not None:  # others' trades in the replaced blocks never happened
                self.conn.execute(
                    "DELETE FROM arbitrages WHERE id >= ? AND block > ?", (seen, block)
                )
            first = self._first_rowid_after("reserves", "block", block)
            if first is None:
                return 0
            return self.conn.execute(
                "DELETE FROM reserves WHERE rowid >= ? AND block > ?", (first, block)
            ).rowcount

    def _first_rowid_after(self, table: str, column: str, value: float) -> int | None:
        """Smallest rowid of ``table`` whose ``column`` exceeds ``value`` (binary search).

        Valid for a column that does not decrease with rowid (``reserves.block``,
        ``opportunities.at``); O(log n) lookups instead of an index rewritten by every commit.
        """
        q = self.conn.execute
        lo, top = q(f"SELECT min(rowid), max(rowid) FROM {table}").fetchone()
        if lo is None:
            return None
        hi, best = top + 1, None
        while lo < hi:
            mid = (lo + hi) // 2
            rowid, v = q(
                f"SELECT rowid, {column} FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT 1",
                (mid,),
            ).fetchone()
            if v > value:
                best, hi = rowid, mid
            else:
                lo = rowid + 1
        return best

    # ------------------------------------------------------------------------------------ reads
    def load_state(self, key: str) -> Any | None:
        row = self.conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def last_mode(self) -> Mode | None:
        return queries.last_mode(self.conn)

    def last_block(self) -> int | None:
        row = self.conn.execute("SELECT max(number) FROM blocks").fetchone()
        return row[0]

    def pool_ids(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT address, id FROM pools"))

    def latest_reserves(self, window: int = queries.LATEST_WINDOW) -> dict[int, tuple[int, int]]:
        """``{pool_id: (reserve0, reserve1)}``: the last row of each pool among the last
        ``window`` rows (a pool quiet for longer is simply stored again on its next change)."""
        return {
            pool_id: (r0, r1)
            for pool_id, r0, r1, _block in queries.latest_reserves(self.conn, window)
        }

    def token_decimals(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT address, decimals FROM tokens"))

    def denied_tokens(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT address, reason FROM denied_tokens"))

    def pending_trades(self) -> list[dict[str, Any]]:
        """Trades signed or sent but not final: the executor reconciles them at restart."""
        return queries.fetch(
            self.conn,
            "SELECT * FROM trades WHERE status IN ('signed', 'sent') ORDER BY created_at, rowid",
        )

    def trade(self, order_id: str) -> dict[str, Any] | None:
        rows = queries.fetch(self.conn, "SELECT * FROM trades WHERE order_id = ?", (order_id,))
        return rows[0] if rows else None

    def max_nonce(self, address: str | None = None) -> int | None:
        """Highest nonce journaled (for ``address`` when given; trades without sender count)."""
        if address is None:
            row = self.conn.execute("SELECT max(nonce) FROM trades").fetchone()
        else:
            row = self.conn.execute(
                "SELECT max(nonce) FROM trades WHERE sender = ? OR sender IS NULL", (address,)
            ).fetchone()
        return row[0]

    def trade_counts(self) -> dict[str, int]:
        return queries.counts_by_status(self.conn)

    def decision_counts(self) -> dict[str, int]:
        return queries.decision_counts(self.conn)

    def max_opportunity_id(self) -> int:
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM opportunities").fetchone()[0]

    # ------------------------------------------------------------------------------ maintenance
    def apply_retention(self, retention_days: float, now: float | None = None) -> int:
        """Thin reserves older than ``retention_days`` to one row per pool per minute.

        Also drops those old blocks and old opportunities that were not approved. Works on the
        window since its last run (kept in ``state``), so its cost does not grow with the
        history. Returns the number of rows deleted.
        """
        cutoff = (time.time() if now is None else now) - retention_days * 86400
        done = self.load_state(RETENTION_KEY) or -1
        q = self.conn.execute
        with self.transaction():
            deleted = 0
            first_kept = self._first_rowid_after("opportunities", "at", cutoff)
            if first_kept is None:
                first_kept = q("SELECT coalesce(max(id), 0) + 1 FROM opportunities").fetchone()[0]
            deleted += q(
                "DELETE FROM opportunities WHERE id < ? AND decision != 'approved'", (first_kept,)
            ).rowcount
            deleted += q("DELETE FROM arbitrages WHERE at < ?", (cutoff,)).rowcount  # small
            cut = q(
                "SELECT max(number) FROM blocks WHERE number > ? AND timestamp < ?", (done, cutoff)
            ).fetchone()[0]
            if cut is None:
                return deleted
            lo = self._first_rowid_after("reserves", "block", done)
            if lo is not None:
                hi = self._first_rowid_after("reserves", "block", cut)
                hi = q("SELECT max(rowid) + 1 FROM reserves").fetchone()[0] if hi is None else hi
                deleted += q(
                    "DELETE FROM reserves WHERE rowid >= ?1 AND rowid < ?2 AND rowid NOT IN "
                    "(SELECT max(r.rowid) FROM reserves r LEFT JOIN blocks b ON b.number = r.block "
                    "WHERE r.rowid >= ?1 AND r.rowid < ?2 "
                    "GROUP BY r.pool_id, coalesce(b.timestamp / 60, -r.block))",
                    (lo, hi),
                ).rowcount
            deleted += q(
                "DELETE FROM blocks WHERE number > ? AND number <= ?", (done, cut)
            ).rowcount
            self.save_state(RETENTION_KEY, cut)
        return deleted

    def checkpoint(self) -> tuple[int, int, int]:
        """``wal_checkpoint(TRUNCATE)``: copy the WAL into the database and empty it.

        Never waits for readers (busy timeout 0): when a reader holds the WAL, the result's first
        item is 1 and the next call tries again. Returns ``(busy, wal frames, checkpointed)``.
        """
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            row = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            self.conn.execute("PRAGMA busy_timeout = 5000")
        return (row[0], row[1], row[2])

    def vacuum_step(self, pages: int = 256) -> None:
        """Return up to ``pages`` free pages to the file system (incremental vacuum)."""
        self.conn.execute(f"PRAGMA incremental_vacuum({int(pages)})").fetchall()


def _create(path: Path) -> None:
    """Create a migrated journal beside ``path`` and rename it into place (fsynced).

    So a crash while the journal is first created never leaves a 0-byte ``journal.sqlite``: a
    0-byte journal is always one that was emptied, and is refused.
    """
    tmp = path.with_name(f".{path.name}.creating")
    for stale in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        stale.unlink(missing_ok=True)
    try:
        Journal(tmp, _creating=True).close()  # the last close checkpoints and removes the WAL
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise StorageFull(f"storage.data_dir is full: cannot create {str(path)!r}") from None
        raise StoreError(f"cannot create the journal {str(path)!r}: {exc.strerror}") from None
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _dec(value: int | None) -> str | None:
    return None if value is None else str(int(value))


def _statements(script: str) -> list[str]:
    """Split a migration into statements (``sqlite3.complete_statement`` handles triggers)."""
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    if current.strip():
        raise StoreError(f"incomplete statement in migration: {current.strip()[:60]!r}")
    return out
