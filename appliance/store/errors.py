"""Errors of the store (journal and state file).

::

    StoreError (OperationalError)     the journal or state file cannot be used: stop and alert
    ├── JournalTooNew                 the journal was written by a newer version of the code
    ├── JournalCorrupt                the file is not a journal, or integrity_check failed
    ├── JournalMissing                no journal where the config says (read side only)
    ├── StateFileError                the state file has a wrong magic, version or size
    └── WriteAheadFailed              a written-ahead trade row could not be committed: do not send
"""

from __future__ import annotations

from appliance.errors import OperationalError

__all__ = [
    "JournalCorrupt",
    "JournalMissing",
    "JournalTooNew",
    "StateFileError",
    "StoreError",
    "WriteAheadFailed",
]


class StoreError(OperationalError):
    """The journal or the state file cannot be used; the supervisor stops and alerts."""


class JournalTooNew(StoreError):
    """The journal's schema version is newer than this code knows: upgrade the software."""


class JournalCorrupt(StoreError):
    """The file is not an SQLite journal, or ``PRAGMA integrity_check`` did not say ``ok``."""


class JournalMissing(StoreError):
    """A reader was pointed at a journal that does not exist (readers never create one)."""


class StateFileError(StoreError):
    """The state file is not ours (magic), of another layout version, or truncated."""


class WriteAheadFailed(StoreError):
    """The trade row was not committed; the executor must not send the transaction."""
