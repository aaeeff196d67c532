"""The status screen app: a refresh worker, read-only views, and an action allow-list.

Why an allow-list and not just "no bindings": Textual apps carry built-in actions (screenshot,
theme change, command palette ...) that markup or a future binding could reach. The app and its
screens drop Textual's default bindings (``inherit_bindings=False``), disable the command palette,
and :meth:`StatusApp.check_action` refuses every action except switching views, the help overlay
and quitting (quitting too in kiosk mode). The test suite enumerates bindings and actions against
this list. Ctrl-C quits like ``q`` (the terminal is in raw mode: it is a key, not SIGINT).
"""

from __future__ import annotations

import threading
import time

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import var
from textual.theme import Theme
from textual.worker import get_current_worker

from ui.messages import SnapshotLoaded, SourceFailed
from ui.screens import VIEWS
from ui.screens.help import HelpScreen
from ui.source import StatusSource
from ui.status import Liveness, Status
from ui.widgets.panel import NARROW_WIDTH, TALL_HEIGHT, TINY_HEIGHT

__all__ = ["ALLOWED_ACTIONS", "HIGH_CONTRAST", "StatusApp"]

ALLOWED_ACTIONS = frozenset({"switch_mode", "help", "quit"})
HELP_PARAMS = ("next", "close")
VIEW_KEYS = ("1", "2", "3")

HIGH_CONTRAST = Theme(
    name="arb-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#00ffff",
    warning="#ffff00",
    error="#ff0000",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#000000",
    boost="#000000",
    dark=True,
)


class StatusApp(App, inherit_bindings=False):
    """``StatusApp(source, kiosk=False, refresh_hz=4.0, view="overview", unicode=False)``.

    ``source`` is a :class:`~ui.source.StatusSource` (its clock decides every age shown). The app
    owns it from then on and closes it on exit. ``unicode``: the terminal has block glyphs (finer
    sparklines); off on the Linux console, whose font lacks them.
    """

    CSS_PATH = "app.tcss"
    TITLE = "arb-appliance"
    ENABLE_COMMAND_PALETTE = False
    MODES = VIEWS
    BINDINGS = [  # noqa: RUF012
        *(
            Binding(key, f"switch_mode('{name}')", cls.TITLE, show=False)
            for key, (name, cls) in zip(VIEW_KEYS, VIEWS.items(), strict=True)
        ),
        Binding("tab", "switch_mode('next')", "Next view", show=False),
        Binding("question_mark", "help('next')", "Help", show=False),
        Binding("q", "quit", "Quit", show=False),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-tiny"), (TINY_HEIGHT, "-short"), (TALL_HEIGHT, "-tall")]  # noqa: RUF012

    status: var[Status | None] = var(None)

    def __init__(
        self,
        source: StatusSource,
        *,
        kiosk: bool = False,
        refresh_hz: float = 4.0,
        view: str = "overview",
        unicode: bool = False,
    ) -> None:
        super().__init__()
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}; one of {sorted(VIEWS)}")
        self.source = source
        self.kiosk = kiosk
        self.unicode = unicode
        self.refresh_s = 1.0 / refresh_hz
        self.initial_view = view
        self.loads = 0  # SnapshotLoaded messages handled (tests wait on it)
        self._stop = threading.Event()

    # ------------------------------------------------------------------------ read-only keys
    @property
    def quit_key(self) -> str | None:
        return None if self.kiosk else "q"

    def view_keys(self) -> list[tuple[str, str, str]]:
        return [
            (k, name, cls.TITLE) for k, (name, cls) in zip(VIEW_KEYS, VIEWS.items(), strict=True)
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quit":
            return not self.kiosk
        if action == "switch_mode":
            return bool(parameters) and (parameters[0] in VIEWS or parameters[0] == "next")
        if action == "help":
            return bool(parameters) and parameters[0] in HELP_PARAMS
        return False

    def action_help(self, what: str) -> None:
        """``next``: open the help overlay, or show its next page (closing after the last);
        ``close``: close it."""
        screen = self.screen
        if isinstance(screen, HelpScreen):
            if what == "close" or not screen.next_page():
                self.pop_screen()
        elif what == "next":
            self.push_screen(HelpScreen())

    async def action_switch_mode(self, mode: str) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        if mode == "next":
            names = list(VIEWS)
            mode = names[(names.index(self.current_mode) + 1) % len(names)]
        await self.switch_mode(mode)

    async def action_quit(self) -> None:
        if not self.kiosk:
            self.exit()

    # ------------------------------------------------------------------------------ refresh
    def on_mount(self) -> None:
        self.register_theme(HIGH_CONTRAST)
        self.theme = HIGH_CONTRAST.name
        self.switch_mode(self.initial_view)
        self._poll()

    def on_unmount(self) -> None:
        self._stop.set()

    @work(thread=True, exclusive=True, group="poll")
    def _poll(self) -> None:
        """Read the state file and the journal ~4 times a second (a thread: SQLite blocks)."""
        worker = get_current_worker()
        try:
            while not worker.is_cancelled and not self._stop.is_set():
                started = time.monotonic()
                try:
                    status = self.source.load()
                except Exception as exc:  # a bug, not missing data: show it, keep going
                    self.post_message(SourceFailed(f"{type(exc).__name__}: {exc}"))
                else:
                    self.post_message(SnapshotLoaded(status))
                self._stop.wait(max(0.0, self.refresh_s - (time.monotonic() - started)))
        finally:
            self.source.close()

    def on_snapshot_loaded(self, message: SnapshotLoaded) -> None:
        self.status = message.status
        self.loads += 1

    def on_source_failed(self, message: SourceFailed) -> None:
        self.status = Status(
            now=self.source.clock(),
            liveness=Liveness.NO_DATA,
            liveness_detail=f"SCREEN ERROR: {message.error}"[:200],
        )
