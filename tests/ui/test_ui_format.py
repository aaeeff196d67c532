"""Formatting is exact (wei) and ASCII-only (the Linux console font)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from ui.format import SPARK_RAMP, age, latency, short_hash, size, sparkline, wei


def test_ui_format_wei_examples():
    assert wei(1234567890000000000) == "1.234567"
    assert wei(-5 * 10**12, sign=True) == "-0.000005"
    assert wei(5 * 10**12, sign=True) == "+0.000005"
    assert wei(0, sign=True) == "+0.000000"
    assert wei(-1, sign=False) == "0.000000"  # below the last digit: no lone minus sign
    assert wei(None) == "-"
    big = 2**255  # beyond float precision: still exact
    assert wei(big, places=2) == f"{big // 10**18}.{big % 10**18 // 10**16:02d}"
    assert wei(1_500_000, decimals=6, places=2) == "1.50"
    assert wei(7 * 10**18, places=0) == "7"


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(2**200), max_value=2**200), st.integers(0, 30), st.integers(0, 8))
def test_ui_format_wei_is_exact_truncation(amount, decimals, places):
    with localcontext() as ctx:
        ctx.prec = 200
        expected = (Decimal(abs(amount)) / Decimal(10) ** decimals).quantize(
            Decimal(1).scaleb(-places), rounding=ROUND_DOWN
        )
    text = wei(amount, decimals=decimals, places=places)
    assert Decimal(text.lstrip("-")) == expected
    assert text.startswith("-") == (amount < 0 and expected != 0)


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
    assert short_hash("0x" + "ab" * 32) == "0xabab..abab" and short_hash(None) == "-"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(10**21), 10**21), max_size=300), st.integers(1, 120))
def test_ui_format_sparkline_fits_and_is_ascii(values, width):
    line = sparkline(values, width)
    assert len(line) == min(len(values), width)
    assert set(line) <= set(SPARK_RAMP) and line.isascii()
    if len(set(values)) > 1 and len(values) <= width:
        assert line[values.index(max(values))] == SPARK_RAMP[-1]
        assert line[values.index(min(values))] == SPARK_RAMP[0]
