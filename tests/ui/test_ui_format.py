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
