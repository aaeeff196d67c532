"""What the help overlay (``?``) says: the panels, the LEDs, the kill switch, the words used.

Pure text, no Textual (tested on its own): :func:`help_lines` builds the logical lines,
:func:`help_pages` wraps them to the screen's width and cuts them into pages of its height
(``?`` shows the next page; nothing is ever cut off: the 3.5-inch display just has more pages).
"""

from __future__ import annotations

import textwrap

from appliance.units import DOWN, TRIPPED, VOCABULARY
from ui.status import Status

__all__ = ["help_lines", "help_pages"]

VOCAB_INDENT = 10  # "  " + the word padded to 7 + " "


def help_lines(status: Status | None, *, quit_key: str | None, views: list[str]) -> list[str]:
    hold = f"{status.rearm_hold_s:g}" if status is not None else "5"
    pid = str(status.pid) if status is not None and status.pid else "<supervisor pid>"
    keys = [f"{k}: {title}" for k, title in enumerate(views, start=1)]
    keys += ["Tab: next view", "?: next help page (Esc closes)"]
    keys.append(f"{quit_key} or Ctrl-C: quit" if quit_key else "(kiosk: no quit key)")
    lines = [
        "KEYS  " + ", ".join(keys) + ". The screen is read-only: no key can trade.",
        "",
        "KILL SWITCH  pressing it (or `kill -USR1 " + pid + "`) halts signing at once and"
        " latches EMERGENCY, across restarts and power loss. Releasing never resumes. To"
        f" re-arm: release the switch, then hold it again for {hold} s while the chain is"
        " healthy (yellow blinks fast); the mode goes to PAUSED. Off a Pi (the demo, gpiozero's"
        " mock pins) see the README's kill switch section. The screen cannot re-arm.",
        "",
        "WORDS  endpoints and breakers share one set of words:",
        *(f"  {word:<7} {meaning}" for word, meaning in VOCABULARY),
        "",
        "LEDS  green on: NORMAL; green slow + yellow: REDUCED; yellow: PAUSED; yellow slow:"
        " starting; red on: EMERGENCY (yellow fast while a re-arm hold runs); red slow: a"
        " FAULT.",
        "",
        "BANNER  the mode: NORMAL trading; REDUCED smaller sizes; PAUSED no new trades;"
        " EMERGENCY kill switch latched, nothing is signed; FAULT (blinking) an endpoint"
        f" {DOWN}, a breaker {TRIPPED} or repeated crashes; NOT LIVE / NOT RUNNING: the numbers"
        " shown are the last known ones (greyed, [STALE]).",
        "SUMMARY  chain head and its age, P&L today and over 7 days (reference token, net of"
        " gas; paper trades in paper mode).",
        "P&L  today and 7 days; sparklines: cumulative P&L over 7 days, opportunities found"
        " per minute over the last 30 minutes.",
        "CHAIN  head, pools, tokens, denied (hostile) tokens; each RPC endpoint's state and"
        " latency (health view: the last 4 minutes as a sparkline).",
        "OPPORTUNITIES  newest first: path, size, expected net profit (after gas) in the"
        " path's first token, and the risk decision (REJ + reason).",
        "TRADES  newest first: status (paper, signed, sent, mined, reverted, dropped), profit,"
        " gas cost, transaction.",
        "RISK  breakers, today's loss against the daily limit, VaR/CVaR of trade P&L,"
        " exposure in flight, volatility regime and size multiplier.",
        "SYSTEM  the supervisor's CPU and memory, board temperature, free disk, uptimes.",
        "ALERTS  every alert the appliance raised (from the journal, webhooks or not).",
    ]
    return lines


def help_pages(lines: list[str], width: int, height: int) -> list[list[str]]:
    """``lines`` wrapped to ``width`` (continuations indented) in pages of ``height`` lines."""
    width, height = max(10, width), max(1, height)
    wrapped: list[str] = []
    for line in lines:
        if not line:
            wrapped.append("")
            continue
        # a vocabulary line ("  WORD    meaning") continues under its meaning, others by 2
        indent = " " * (VOCAB_INDENT if line.startswith("  ") else 2)
        wrapped += textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False) or [
            ""
        ]
    pages: list[list[str]] = []
    page: list[str] = []
    for line in wrapped:
        if not page and not line:
            continue  # no page starts with a blank line
        page.append(line)
        if len(page) == height:
            pages.append(page)
            page = []
    if page:
        pages.append(page)
    return pages or [[]]
