"""The last line: which keys switch views (and quit, unless in kiosk mode). Plain ASCII."""

from __future__ import annotations

from textual.widgets import Static

__all__ = ["KeysBar"]


class KeysBar(Static):
    can_focus = False

    def __init__(
        self, views: list[tuple[str, str, str]], *, current: str, quit_key: str | None
    ) -> None:
        """``views``: ``(key, view name, title)``; the current view's title is upper-cased."""
        parts = [
            f"{key}:{title.upper() if name == current else title}" for key, name, title in views
        ]
        if quit_key:
            parts.append(f"{quit_key}:quit")
        super().__init__("  ".join(parts) + "   (read-only)", markup=False)
