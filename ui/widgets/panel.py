"""The base of every status widget: watch ``app.status``, render it, mark it stale."""

from __future__ import annotations

from rich.console import RenderableType
from textual.widgets import Static

from ui.status import Status

__all__ = ["NARROW_WIDTH", "TALL_HEIGHT", "TINY_HEIGHT", "StatusPanel"]

# the screen's size classes (``StatusApp`` breakpoints): below TINY_HEIGHT rows (a 3.5-inch
# display, 40x12) every panel shows only its most important lines; below NARROW_WIDTH columns
# the panels stack; from TALL_HEIGHT rows on there is room for headers and padding
TINY_HEIGHT, TALL_HEIGHT, NARROW_WIDTH = 16, 30, 76


class StatusPanel(Static):
    """Renders ``app.status`` (a :class:`Status` or None before the first read).

    When the supervisor is not live the widget gets the ``stale`` class (greyed by the
    stylesheet), ``[STALE]`` in its border title, and :meth:`render_status` is asked for a
    colourless rendering: a stale number must never look live.
    """

    TITLE = ""
    GREY_WHEN_STALE = True  # the banner is never greyed: it carries the warning itself
    FIELDS: tuple[str, ...] = ()  # the Status fields drawn: redraw only when one changed
    can_focus = False

    def on_mount(self) -> None:
        self._key: tuple | None = None
        if self.TITLE:
            self.border_title = self.TITLE
        self.watch(self.app, "status", self._show, init=True)

    def on_resize(self) -> None:
        self._key = None
        self._show(getattr(self.app, "status", None))

    def _show(self, status: Status | None) -> None:
        if status is None:
            self.update("waiting for data ...")
            return
        key = (status.liveness, *(getattr(status, f) for f in self.FIELDS))
        if key == self._key:
            return
        self._key = key
        stale = not status.liveness.live
        self.set_class(stale and self.GREY_WHEN_STALE, "stale")
        if self.TITLE:
            self.set_title(self.TITLE, stale)
        self.update(self.render_status(status, stale))

    def set_title(self, title: str, stale: bool) -> None:
        """The border title, ``[STALE]`` appended when not live (escaped: titles are markup)."""
        self.border_title = (title + (" [STALE]" if stale else "")).replace("[", r"\[")

    def render_status(self, status: Status, stale: bool) -> RenderableType:  # pragma: no cover
        raise NotImplementedError

    def width_hint(self, default: int = 30) -> int:
        return self.content_size.width or default

    @property
    def tiny(self) -> bool:
        """The 3.5-inch layout: show only the most important lines (never, outside an app)."""
        if not self.is_attached:  # rendered on its own (a unit test of the text)
            return False
        return self.app.size.height < TINY_HEIGHT

    @property
    def unicode(self) -> bool:
        """The terminal has Unicode block glyphs (not the Linux console): finer sparklines."""
        return bool(getattr(self.app, "unicode", False))
