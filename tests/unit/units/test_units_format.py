"""The one formatting module for people (screen, ``status``, watchdog): exact, ASCII, one vocabulary."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.units import (
    VOCABULARY,
    amount,
    breaker_word,
    endpoint_word,
    short_address,
    short_hash,
    tokens,
)


def test_units_tokens_examples():
    assert tokens(12_345_678_900_000_000) == "0.012345"
    assert tokens(12_300_000_000_000_000, places=4) == "0.0123"
    assert tokens(-5 * 10**12, sign=True) == "-0.000005"
    assert tokens(5 * 10**12, sign=True) == "+0.000005"
    assert tokens(0, sign=True) == "+0.000000"
    # the sign of the exact amount is kept: a 1-wei loss is not shown as a gain or as nothing
    assert tokens(-1) == "-0.000000" and tokens(-1, sign=True) == "-0.000000"
    assert tokens(None) == "-"
    big = 2**255  # beyond float precision: still exact
    assert tokens(big, places=2) == f"{big // 10**18}.{big % 10**18 // 10**16:02d}"
    assert tokens(1_500_000, 6, places=2) == "1.50"
    assert tokens(7 * 10**18, places=0) == "7"
    assert tokens(42, 0) == "42"  # a token without decimals has no fraction


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(2**200), max_value=2**200), st.integers(0, 30), st.integers(0, 8))
def test_units_tokens_is_exact_truncation(wei, decimals, places):
    with localcontext() as ctx:
        ctx.prec = 250
        shown = min(places, decimals)
        expected = (Decimal(abs(wei)) / Decimal(10) ** decimals).quantize(
            Decimal(1).scaleb(-shown), rounding=ROUND_DOWN
        )
    text = tokens(wei, decimals, places=places)
    assert Decimal(text.lstrip("-")) == expected
    assert text.startswith("-") == (wei < 0)
    assert text.isascii()


def test_units_amount_names_its_unit_and_wei_only_when_unknown():
    assert amount(12_300_000_000_000_000, 18, "WETH", places=4) == "0.0123 WETH"
    assert amount(1_234_567, 6, "USDC", sign=True) == "+1.234567 USDC"
    assert amount(-5, None, None, sign=True) == "-5 wei"
    assert amount(5, 18, "") == "5 wei"
    assert amount(None, 18, "WETH") == "-"


def test_units_addresses_are_short_with_the_symbol():
    weth = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
    assert short_address(weth, "WETH") == "WETH 0xC02a..6Cc2"
    assert short_address(weth) == "0xC02a..6Cc2"
    assert short_address(None, "WETH") == "-"
    assert short_hash("0x" + "ab" * 32) == "0xabab..abab" and short_hash(None) == "-"


def test_units_one_vocabulary_for_endpoints_and_breakers():
    words = [w for w, _ in VOCABULARY]
    assert words == ["OK", "LAG", "DOWN", "TRIPPED", "RETRY"]
    assert endpoint_word(healthy=True) == ("OK", "ok")
    assert endpoint_word(healthy=True, lagging=True) == ("LAG", "warn")
    assert endpoint_word(healthy=False) == ("DOWN", "bad")
    assert endpoint_word(healthy=False, breaker="open") == ("TRIPPED", "bad")
    assert endpoint_word(healthy=True, breaker="half-open") == ("RETRY", "warn")
    assert [breaker_word(s)[0] for s in ("closed", "open", "half-open")] == [
        "OK",
        "TRIPPED",
        "RETRY",
    ]
    # every word a state can produce is explained in the vocabulary (the help overlay)
    produced = {
        endpoint_word(healthy=h, lagging=lag, breaker=b)[0]
        for h in (True, False)
        for lag in (True, False)
        for b in ("closed", "open", "half-open")
    } | {breaker_word(s)[0] for s in ("closed", "open", "half-open")}
    assert produced <= set(words)


def test_units_status_and_watchdog_speak_like_the_screen():
    from appliance.commands.status import render
    from appliance.watchdog import format_status

    doc = {
        "live": False,
        "supervisor": "running",
        "pid": 42,
        "updated_age_s": 1,
        "mode": "NORMAL",
        "kill_switch": False,
        "leds": {},
        "head_block": 1011,
        "head_age_s": 3,
        "rpc": [
            {"host": "a:8545", "healthy": True, "latency_ms": 3.2, "lagging": False},
            {
                "host": "b:8545",
                "healthy": False,
                "latency_ms": 0.0,
                "lagging": False,
                "breaker": "open",
            },
        ],
        "pools": 4,
        "opportunities": {"detected": 1, "approved": 1, "rejected": 0},
        "trades": {"paper": 1},
        "pnl_today": -12_345_678_900_000_000,
        "pnl_unit": "WETH",
        "pnl_decimals": 18,
        "breakers": {"trade": "closed", "rpc": "open", "daily_loss": "half-open"},
        "last_alert": None,
        "problems": [],
    }
    text = render(doc)
    assert "pnl today      -0.012345 WETH" in text
    assert " OK " in text.splitlines()[3] and "TRIPPED" in text.splitlines()[4]
    assert "breakers       trade=OK rpc=TRIPPED daily_loss=RETRY" in text
    assert "wei" not in text and "open" not in text and "DOWN" not in text
    assert format_status("NORMAL", 1011, -1) == "NORMAL · head 1011 · P&L -0.000000 ETH"
    assert format_status("NORMAL", None, 12_345_678_900_000_000, symbol="WETH") == (
        "NORMAL · head - · P&L +0.012345 WETH"
    )
