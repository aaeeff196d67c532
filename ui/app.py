"""The status screen app: a refresh worker, read-only views, and an action allow-list.

Why an allow-list and not just "no bindings": Textual apps carry built-in actions (screenshot,
theme change, command palette ...) that markup or a future binding could reach. The app and its
screens drop Textual's default bindings (``inherit_bindings=False``), disable the command palette,
and :meth:`StatusApp.check_action` refuses every action except switching views and quitting
(quitting too in kiosk mode). The test suite enumerates bindings and actions against this list.
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
from ui.source import StatusSource
from ui.status import Liveness, Status

__all__ = ["ALLOWED_ACTIONS", "HIGH_CONTRAST", "StatusApp"]

ALLOWED_ACTIONS = frozenset({"switch_mode", "quit"})
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
    """``StatusApp(source, kiosk=False, refresh_hz=4.0, view="overview")``.

    ``source`` is a :class:`~ui.source.StatusSource` (its clock decides every age shown). The app
    owns it from then on and closes it on exit.
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
        Binding("q", "quit", "Quit", show=False),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (76, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]  # noqa: RUF012

    status: var[Status | None] = var(None)

    def __init__(
        self,
        source: StatusSource,
        *,
        kiosk: bool = False,
        refresh_hz: float = 4.0,
        view: str = "overview",
    ) -> None:
        super().__init__()
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}; one of {sorted(VIEWS)}")
        self.source = source
        self.kiosk = kiosk
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
        return False

    async def action_switch_mode(self, mode: str) -> None:
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
