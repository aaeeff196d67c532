"""Errors of the store (journal and state file).

::

    StoreError (OperationalError)     the journal or state file cannot be used: stop and alert
    ├── JournalTooNew                 the journal was written by a newer version of the code
    ├── JournalCorrupt (exit 2)       "journal damaged": not a journal, or integrity_check failed;
    │   └── JournalEmpty              the journal exists but is 0 bytes (its history is gone)
    │                                 the operator recovers it: `arb-appliance journal recover|fresh`
    ├── JournalMissing                no journal where the config says (read side only)
    ├── MarketNotRecorded             the journal describes no pool: no market to replay
    ├── StorageFull (exit 2)          data_dir or runtime_dir has no room: refuse to start
    ├── StateFileError                the state file has a wrong magic, version or size
    │   └── StateFileFull (exit 2)    runtime_dir has no room for the state file
    └── WriteAheadFailed              a written-ahead trade row could not be committed: do not send
"""

from __future__ import annotations

from appliance.errors import OperationalError

__all__ = [
    "JournalCorrupt",
    "JournalEmpty",
    "JournalMissing",
    "JournalTooNew",
    "MarketNotRecorded",
    "StateFileError",
    "StateFileFull",
    "StorageFull",
    "StoreError",
    "WriteAheadFailed",
]


class StoreError(OperationalError):
    """The journal or the state file cannot be used; the supervisor stops and alerts."""


class JournalTooNew(StoreError):
    """The journal's schema version is newer than this code knows: upgrade the software."""


class JournalCorrupt(StoreError):
    """The file is not an SQLite journal, or ``PRAGMA integrity_check`` did not say ``ok``.

    Exit code 2: nothing retries this away; the operator recovers the journal (README).
    """

    exit_code = 2


class JournalEmpty(JournalCorrupt):
    """The journal exists but holds 0 bytes: refuse to start a new one silently over it."""


class StorageFull(StoreError):
    """No room in ``data_dir`` or ``runtime_dir`` to start: free space first (exit code 2)."""

    exit_code = 2


class JournalMissing(StoreError):
    """A reader was pointed at a journal that does not exist (readers never create one)."""


class MarketNotRecorded(StoreError):
    """The journal describes no pool (e.g. a supervisor that never discovered any): nothing to
    replay."""


class StateFileError(StoreError):
    """The state file is not ours (magic), of another layout version, or truncated."""


class WriteAheadFailed(StoreError):
    """The trade row was not committed; the executor must not send the transaction."""


class StateFileFull(StateFileError):
    """``runtime_dir`` has no room for the state file (allocated up front, never sparse)."""

    exit_code = 2
