"""Textual's Sparkline, drawn in ASCII on the Linux console (its font has no eighth blocks).

:func:`spark` returns the renderable of :class:`textual.widgets.Sparkline`
(:class:`textual.renderables.sparkline.Sparkline`) so a sparkline can sit in a panel's text or a
table cell; on a console without Unicode block glyphs the bars are the ASCII ramp
:data:`ui.format.SPARK_RAMP`. Fewer than two values draw a flat line (nothing to compare).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from textual.renderables.sparkline import Sparkline as TextualSparkline

from ui.format import SPARK_RAMP

__all__ = ["GREEN", "GREY", "RED", "YELLOW", "AsciiSparkline", "spark"]

GREEN, RED, YELLOW, GREY = (Color.parse(c) for c in ("green", "red", "yellow", "bright_black"))


class AsciiSparkline(TextualSparkline):
    BARS = SPARK_RAMP

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if len(self.data) < 2:
            width = self.width or options.max_width
            yield Segment(SPARK_RAMP[0] * width, self.min_color)
            return
        yield from super().__rich_console__(console, options)


def spark(
    values: Sequence[int | float],
    width: int,
    *,
    low: Color = RED,
    high: Color = GREEN,
    unicode: bool = False,
    stale: bool = False,
) -> TextualSparkline:
    """A one-line sparkline of ``values`` ``width`` cells wide, coloured ``low`` -> ``high``
    (grey when the data is not live: a stale picture must not look live)."""
    cls = TextualSparkline if unicode and len(values) >= 2 else AsciiSparkline
    if stale:
        low = high = GREY
    return cls(
        list(values),
        width=max(1, width),
        min_color=low,
        max_color=high,
        summary_function=_last,
    )


def _last(bucket: Sequence[int | float]) -> float:
    return bucket[-1]
