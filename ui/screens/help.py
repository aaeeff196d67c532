"""The help overlay: ``?`` opens it and turns its pages, Esc (or ``?`` on the last page) closes.

A modal screen over the current view; its bindings only reach the app's allow-listed ``help``
and ``quit`` actions, and nothing in it is focusable.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from ui.help import help_lines, help_pages
from ui.widgets.panel import TINY_HEIGHT

__all__ = ["HelpScreen"]


class HelpScreen(ModalScreen, inherit_bindings=False):
    # a modal screen hides the app's bindings: the ones that make sense here, again
    BINDINGS = [  # noqa: RUF012
        Binding("question_mark", "app.help('next')", "Next help page", show=False),
        Binding("escape", "app.help('close')", "Close help", show=False),
        Binding("q", "app.quit", "Quit", show=False),
        Binding("ctrl+c", "app.quit", "Quit", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page = 0
        self.pages: list[list[str]] = [[]]

    def compose(self) -> ComposeResult:
        box = Static(id="help", markup=False)
        box.can_focus = False
        yield box

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        box = self.query_one("#help", Static)
        tiny = self.size.height < TINY_HEIGHT
        width = self.size.width - (0 if tiny else 4)
        height = self.size.height - 2
        app = self.app
        lines = help_lines(
            getattr(app, "status", None),
            quit_key=getattr(app, "quit_key", None),
            views=[title for _, _, title in app.view_keys()],
        )
        self.pages = help_pages(lines, width, height)
        self.page = min(self.page, len(self.pages) - 1)
        box.border_title = "Help"
        box.border_subtitle = f"page {self.page + 1}/{len(self.pages)}  ?:next  Esc:close"
        box.update("\n".join(self.pages[self.page]))

    def next_page(self) -> bool:
        """Show the next page; False when this was the last one (the caller closes)."""
        if self.page + 1 >= len(self.pages):
            return False
        self.page += 1
        self._draw()
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.app.check_action(action, parameters)
