"""Messages the refresh worker posts to the app (small, past tense)."""

from __future__ import annotations

from textual.message import Message

from ui.status import Status

__all__ = ["SnapshotLoaded", "SourceFailed"]


class SnapshotLoaded(Message):
    """A new :class:`~ui.status.Status` was read from the state file and the journal."""

    def __init__(self, status: Status) -> None:
        super().__init__()
        self.status = status


class SourceFailed(Message):
    """Reading failed unexpectedly (a bug, not missing data); the screen says so and goes on."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
