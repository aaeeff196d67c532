"""The store: the journal (SQLite, durable) and the live state file (mmap, tmpfs).

Read side (safe for the status screen; imports no Trio, chain, trading or hardware code):
:mod:`appliance.store.reader` (``JournalReader``, ``status_document``) and
:mod:`appliance.store.statefile` (``StateReader``, ``StateSnapshot``, the layout).

Write side: :class:`~appliance.store.journal.Journal` (synchronous) and the store task
``run_store`` / ``WriteAhead`` in :mod:`appliance.store.writer` (imports Trio; loaded lazily here so
``import appliance.store`` stays light).
"""

from __future__ import annotations

from typing import Any

from appliance.store.errors import (
    JournalCorrupt,
    JournalMissing,
    JournalTooNew,
    StateFileError,
    StoreError,
    WriteAheadFailed,
)

__all__ = [
    "Journal",
    "JournalCorrupt",
    "JournalMissing",
    "JournalReader",
    "JournalTooNew",
    "StateFileError",
    "StateReader",
    "StateSnapshot",
    "StoreError",
    "SystemSampled",
    "WriteAhead",
    "WriteAheadFailed",
    "run_store",
    "run_system_sampler",
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
    "run_system_sampler": "appliance.store.system",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'appliance.store' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
