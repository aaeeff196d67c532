"""What every view shares: banner, summary line, kill switch, keys bar; and no bindings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widget import Widget

from ui.widgets.keys_bar import KeysBar
from ui.widgets.kill_switch import KillSwitchPanel
from ui.widgets.mode_banner import ModeBanner
from ui.widgets.summary import SummaryBar

__all__ = ["StatusScreen"]


class StatusScreen(Screen, inherit_bindings=False):
    """A read-only view. ``inherit_bindings=False`` drops Textual's screen bindings (focus
    cycling, copy); the app's allow-list (:meth:`check_action`) refuses any other action."""

    NAME = ""
    TITLE = ""
    BINDINGS = []  # noqa: RUF012 - Textual's declared ClassVar

    def compose(self) -> ComposeResult:
        yield ModeBanner(id="banner")
        yield SummaryBar(id="summary")
        yield KillSwitchPanel(id="kill-switch")
        with Container(id="body"):
            yield from self.body()
        yield KeysBar(self.app.view_keys(), current=self.NAME, quit_key=self.app.quit_key)

    def body(self) -> list[Widget]:  # pragma: no cover
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.app.check_action(action, parameters)
