"""The screen's own formatting (ages, sizes, line flow); amounts: tests/unit/units."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ui.format import age, flow, latency, size


def test_ui_format_age_and_units():
    assert [age(s) for s in (None, 0, 59.9, 61, 3725, 90061)] == [
        "-",
        "0s",
        "59s",
        "1m01s",
        "1h02m",
        "1d01h",
    ]
    assert size(61_300_000) == "61.3 MB" and size(512) == "512 B" and size(None) == "-"
    assert latency(3.21) == "3.2 ms" and latency(41.0) == "41 ms"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text("abc.xyz-", min_size=0, max_size=12), max_size=12), st.integers(1, 60))
def test_ui_format_flow_never_cuts_a_part(parts, width):
    lines = flow(parts, width)
    assert "  ".join(lines).split("  ") == ([p for p in parts if p] or [""])
    for line in lines:
        assert len(line) <= width or line in parts  # only a part longer than a line overflows


def test_ui_format_sparkline_is_textuals_in_ascii_on_the_console():
    from rich.console import Console
    from textual.renderables.sparkline import Sparkline

    from ui.format import SPARK_RAMP
    from ui.widgets.spark import spark

    def draw(renderable) -> str:
        console = Console(width=20, color_system=None, file=None, record=True)
        with console.capture() as capture:
            console.print(renderable, end="")
        return capture.get()

    values = [1, 5, 2, 9, 3, 7]
    ascii_line = draw(spark(values, 12))
    assert len(ascii_line) == 12 and set(ascii_line) <= set(SPARK_RAMP)
    assert ascii_line.count(SPARK_RAMP[-1]) >= 1 and ascii_line.count(SPARK_RAMP[0]) >= 1
    unicode = spark(values, 12, unicode=True)
    assert isinstance(unicode, Sparkline) and not draw(unicode).isascii()
    assert draw(spark([], 8)) == SPARK_RAMP[0] * 8 == draw(spark([4], 8, unicode=True))
