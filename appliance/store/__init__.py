"""The store: the journal (SQLite, durable) and the live state file (mmap, tmpfs).

Read side (safe for the status screen; imports no Trio, chain, trading or hardware code):
:mod:`appliance.store.reader` (``JournalReader``, ``status_document``) and
:mod:`appliance.store.statefile` (``StateReader``, ``StateSnapshot``, the layout).

Write side: :class:`~appliance.store.journal.Journal` (synchronous) and the store task
``run_store`` / ``WriteAhead`` in :mod:`appliance.store.writer` (imports Trio; loaded lazily here so
``import appliance.store`` stays light); :mod:`~appliance.store.committer` (commits, and a full
disk as a fault rather than a crash).

Start-up and repair: :mod:`~appliance.store.preflight` (``check_storage``: directories, free space,
journal integrity, before any network I/O) and :mod:`~appliance.store.recovery` (``arb-appliance
journal recover|fresh``).
"""

from __future__ import annotations

from typing import Any

from appliance.store.errors import (
    JournalCorrupt,
    JournalEmpty,
    JournalMissing,
    JournalTooNew,
    StateFileError,
    StateFileFull,
    StorageFull,
    StoreError,
    WriteAheadFailed,
)

__all__ = [
    "Journal",
    "JournalCorrupt",
    "JournalEmpty",
    "JournalMissing",
    "JournalReader",
    "JournalTooNew",
    "StateFileError",
    "StateFileFull",
    "StateReader",
    "StateSnapshot",
    "StorageFull",
    "StoreError",
    "SystemSampled",
    "WriteAhead",
    "WriteAheadFailed",
    "run_store",
    "status_document",
]

_LAZY = {
    "Journal": "appliance.store.journal",
    "JournalReader": "appliance.store.reader",
    "status_document": "appliance.store.reader",
    "StateReader": "appliance.store.statefile",
    "StateSnapshot": "appliance.store.statefile",
    "SystemSampled": "appliance.store.writer",
    "WriteAhead": "appliance.store.writer",
    "run_store": "appliance.store.writer",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'appliance.store' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
