"""The last line: which keys switch views, help (and quit, unless in kiosk mode). Plain ASCII."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

__all__ = ["KeysBar"]


class KeysBar(Widget):
    """``views``: ``(key, view name, title)``; the current view's title is upper-cased. The
    longest wording that fits the width is shown (short titles on a 40-column display)."""

    can_focus = False

    def __init__(
        self, views: list[tuple[str, str, str]], *, current: str, quit_key: str | None
    ) -> None:
        super().__init__()
        self.views = views
        self.current = current
        self.quit_key = quit_key

    def wordings(self) -> list[str]:
        def titles(n: int | None) -> list[str]:
            return [
                f"{key}:{(title.upper() if name == self.current else title)[:n]}"
                for key, name, title in self.views
            ]

        tail = ["?:help"] + ([f"{self.quit_key}:quit"] if self.quit_key else [])
        return [
            "  ".join([*titles(None), *tail]) + "   (read-only)",
            "  ".join([*titles(None), *tail]),
            " ".join([*titles(4), *tail]),
            " ".join([*titles(1), *tail]),
        ]

    def render(self) -> Text:
        width = self.content_size.width or 80
        options = self.wordings()
        return Text(next((w for w in options if len(w) <= width), options[-1]), no_wrap=True)
