"""The store task: the single writer of the journal and of the state file.

It receives every record on one channel (``records_recv``; producers ``.clone()`` the send side),
applies it in memory (:class:`~appliance.store.recorder.Recorder`), republishes the state file at
once, and commits journal rows in batches: bulk rows (blocks, reserves, opportunities, intel,
state) at most every ``storage.commit_interval_s`` (a few blocks' rows per transaction;
``synchronous=NORMAL``); a trade, a mode change, a :class:`WriteAhead` or a :class:`Flush` at
once. Such an immediate commit carries only those rows (the bulk rows wait for their periodic
commit, so each trade does not rewrite the bulk tables' last pages), fsynced
(``synchronous=FULL``) for mode changes, flushes and live trades; a paper-mode trade row is
committed at once without an fsync (it survives a kill -9 and broadcasts nothing; like the
bulk rows, a power cut may lose what no checkpoint or durable commit has synced yet). A Flush commits everything. A final status the executor
reports again after its write-ahead is not committed twice. SQLite runs in a worker thread so
the Trio loop (and the kill-switch path) never waits on the disk.

Write-ahead protocol of the executor::

    req = WriteAhead(TradeUpdated(order_id, TradeStatus.SIGNED, mode, tx_hash=h, nonce=n, ...))
    await store_send.send(req)
    await req.wait()          # returns once the row is committed with fsync; raises WriteAheadFailed
    ...send the raw transaction...
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from appliance.store import queries
from appliance.store.committer import STORAGE_FAULT, Committer
from appliance.store.journal import Journal
from appliance.store.messages import Flush, SaveState, SystemSampled, WriteAhead
from appliance.store.preflight import check_journal, is_disk_full
from appliance.store.reader import config_reference_token
from appliance.store.recorder import Recorder
from appliance.store.schema import JOURNAL_NAME
from appliance.store.statefile import STATE_FILE_NAME, StateWriter

__all__ = [
    "STORAGE_FAULT",
    "Flush",
    "SaveState",
    "StoreHandle",
    "SystemSampled",
    "WriteAhead",
    "run_store",
]

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0  # the state file's updated_at advances at least this often
RETENTION_EVERY_S = 3600.0


@dataclass(frozen=True)
class StoreHandle:
    """What ``nursery.start(run_store, ...)`` returns."""

    journal_path: Path
    state_path: Path


async def run_store(
    cfg: Any,
    records_recv: trio.MemoryReceiveChannel,
    *,
    n_pools_hint: int = 1024,
    events_send: trio.MemorySendChannel | None = None,
    task_status: trio.TaskStatus[StoreHandle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run until ``records_recv`` is closed (then commit and return) or cancelled (same).

    ``cfg`` is the ``AppConfig`` (or its ``StorageConfig``). Raises :class:`StoreError` when the
    journal cannot be opened (too new, damaged: checked with ``integrity_check`` first; exit 2)
    or a commit fails; waiting :class:`WriteAhead` requests are failed first, so no transaction
    is sent without its row. A full disk mid-run is not fatal
    (:mod:`appliance.store.committer`): write-ahead is refused, rows are held, and
    ``FaultChanged``/``AlertRaised`` go to ``events_send`` (the supervisor's records channel).
    """
    storage = getattr(cfg, "storage", cfg)
    journal_path = Path(storage.data_dir) / JOURNAL_NAME
    state_path = Path(storage.runtime_dir) / STATE_FILE_NAME
    commit_every = float(getattr(storage, "commit_interval_s", 4.0))
    checkpoint_every = float(getattr(storage, "checkpoint_interval_s", 300.0))
    retention_days = float(getattr(storage, "retention_days", 7))

    await trio.to_thread.run_sync(check_journal, journal_path)
    journal = Journal(journal_path)
    try:
        ref = config_reference_token(cfg)
        if ref is not None:  # readers without the config (the status screen) count P&L in it
            journal.save_state(queries.REFERENCE_KEY, ref)
        n = max(n_pools_hint, len(journal.pool_ids()), 16)
        state = StateWriter(state_path, capacity=1 << (n - 1).bit_length())
    except BaseException:
        journal.close()
        raise
    recorder = Recorder(
        journal,
        state,
        live=bool(getattr(cfg, "live", False)),
        swaps_retention_blocks=int(getattr(storage, "swaps_retention_blocks", 43_200)),
        swaps_commit_s=float(getattr(storage, "swaps_commit_interval_s", 60.0)),
        intel_commit_s=commit_every,
    )
    recorder.publish()
    committer = Committer(recorder, events_send)
    clock = trio.current_time
    last_commit = last_publish = last_checkpoint = clock()
    last_retention = -math.inf
    task_status.started(StoreHandle(journal_path, state_path))
    try:
        async with records_recv:
            closed = False
            while not closed:
                due = min(
                    last_publish + HEARTBEAT_S,
                    last_commit + commit_every
                    if len(recorder.batch) or committer.pending()
                    else math.inf,
                )
                with trio.move_on_at(due):
                    try:
                        recorder.handle(await records_recv.receive())
                    except trio.EndOfChannel:
                        closed = True
                while not closed:  # drain what is already queued: one batch, one publish
                    try:
                        recorder.handle(records_recv.receive_nowait())
                    except trio.WouldBlock:
                        break
                    except trio.EndOfChannel:
                        closed = True
                now = clock()
                batch = recorder.batch
                bulk_due = closed or batch.whole or now - last_commit >= commit_every
                if (len(batch) or committer.pending()) and (batch.urgent or bulk_due):
                    # committed before it is published: the screen never counts a trade (a
                    # paper fill, a signed row) that the journal does not hold yet. A trade or
                    # mode change between periodic commits goes alone: the bulk rows wait
                    await committer.commit(urgent_only=not bulk_due)
                    if bulk_due:
                        last_commit = clock()
                if recorder.dirty or now - last_publish >= HEARTBEAT_S:
                    _publish(recorder)
                    last_publish = now
                if now - last_checkpoint >= checkpoint_every and committer.fault is None:
                    last_checkpoint = now
                    full = now - last_retention >= RETENTION_EVERY_S
                    if full:
                        last_retention = now
                    try:
                        await trio.to_thread.run_sync(_maintain, journal, retention_days, full)
                    except Exception as exc:
                        if not is_disk_full(exc):
                            raise
                        committer.maintenance_failed(exc)
    finally:
        with trio.CancelScope(shield=True):
            try:
                recorder.release_swaps()  # held for fewer SD writes: not lost at a stop
                if len(recorder.batch) or committer.pending():
                    await committer.commit()
                if committer.pending():
                    log.error(
                        "store: stopping with %d rows not journaled: %s",
                        sum(len(b) for b in committer.held),
                        committer.fault,
                    )
            finally:
                recorder.live.pid = 0  # a clean stop: readers say "not running" at once
                recorder.publish()
                state.close()
                log.info(
                    "store: %d journal commits since start, %d of them fsynced (durable)",
                    sum(journal.commits.values()),
                    journal.commits["durable"],
                )
                await trio.to_thread.run_sync(journal.close)


def _publish(recorder: Recorder) -> None:
    """Publish the state file; say once when it could not grow (runtime_dir full)."""
    writer = recorder.state_writer
    reported = writer.grow_failed
    recorder.publish()
    if writer.grow_failed and not reported:
        log.error(
            "store: %s; the screen shows the first %d pools", writer.grow_failed, writer.capacity
        )


def _maintain(journal: Journal, retention_days: float, retention: bool) -> None:
    started = time.monotonic()
    if retention:
        deleted = journal.apply_retention(retention_days)
        if deleted:
            journal.vacuum_step(1024)
        log.info("store: retention removed %d rows", deleted)
    busy, frames, done = journal.checkpoint()
    log.debug(
        "store: checkpoint busy=%d frames=%d done=%d in %.3fs",
        busy,
        frames,
        done,
        time.monotonic() - started,
    )
