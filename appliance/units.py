"""Amounts, addresses and health states as a person reads them: one module for every human view.

The status screen (``ui``), ``arb-appliance status`` (without ``--json``) and the watchdog's
``STATUS=`` line all format through here, so a number reads the same everywhere:

* **amounts** are exact integers (wei) turned into whole tokens by integer arithmetic, truncated
  toward zero to ``places`` digits, with the token's symbol: ``0.012300 WETH``. The sign of the
  exact amount is always kept (a 1-wei loss is ``-0.000000 WETH``, never ``+0.000000``). Wei are
  shown only when the unit is unknown (``123 wei``) — and in ``--json``, which never comes here.
* **addresses** are shortened (``0xC02a..6Cc2``), with the token's symbol in front when known
  (``WETH 0xC02a..6Cc2``).
* **health words**: one vocabulary for RPC endpoints and circuit breakers (:data:`VOCABULARY`,
  explained in the screen's help overlay): ``OK``, ``LAG``, ``DOWN``, ``TRIPPED``, ``RETRY``.

Pure functions on plain values: no I/O, no trading, chain or hardware imports (the screen may
import this module; the layer contracts allow it). ASCII only (the Linux console font).
"""

from __future__ import annotations

__all__ = [
    "DOWN",
    "LAG",
    "NA",
    "OK",
    "RETRY",
    "TRIPPED",
    "VOCABULARY",
    "amount",
    "breaker_word",
    "endpoint_word",
    "short_address",
    "short_hash",
    "tokens",
]

NA = "-"

OK, LAG, DOWN, TRIPPED, RETRY = "OK", "LAG", "DOWN", "TRIPPED", "RETRY"

# word -> what it means; the same words for endpoints and breakers, in this order on the help page
VOCABULARY: tuple[tuple[str, str], ...] = (
    (OK, "working: an endpoint answers at the head; a breaker lets trading through (closed)"),
    (LAG, "an endpoint answers but is behind the chain head: not asked until it catches up"),
    (DOWN, "an endpoint is failing (errors or timeouts): requests go to the others"),
    (
        TRIPPED,
        "a breaker fired (open): that endpoint is not asked, that trading is held, until its"
        " cool-down ends",
    ),
    (RETRY, "a tripped breaker's cool-down is over: one trial decides (half-open)"),
)

_BREAKER_WORDS = {"closed": OK, "open": TRIPPED, "half-open": RETRY}


def tokens(wei: int | None, decimals: int = 18, *, places: int = 6, sign: bool = False) -> str:
    """``wei`` smallest units as whole tokens with ``places`` digits, exact (truncated to zero).

    >>> tokens(12_345_678_900_000_000)
    '0.012345'
    >>> tokens(-(10**18) - 1, sign=True)
    '-1.000000'
    >>> tokens(1_500_000, 6, places=2)
    '1.50'
    """
    if wei is None:
        return NA
    wei = int(wei)
    places = max(0, min(places, decimals))
    whole, frac = divmod(abs(wei), 10**decimals)
    text = str(whole)
    if places:
        text += "." + str(frac).rjust(decimals, "0")[:places]
    if wei < 0:
        return "-" + text
    return ("+" if sign else "") + text


def amount(
    wei: int | None,
    decimals: int | None,
    symbol: str | None,
    *,
    places: int = 6,
    sign: bool = False,
) -> str:
    """``0.012300 WETH``; ``123 wei`` when the unit (symbol or decimals) is unknown.

    >>> amount(12_300_000_000_000_000, 18, "WETH", places=4)
    '0.0123 WETH'
    >>> amount(-5, None, None, sign=True)
    '-5 wei'
    """
    if wei is None:
        return NA
    if decimals is None or not symbol:
        return f"{int(wei):+d} wei" if sign else f"{int(wei)} wei"
    return f"{tokens(wei, decimals, places=places, sign=sign)} {symbol}"


def short_hash(value: str | None, *, head: int = 6, tail: int = 4) -> str:
    """``0x1234ab..cdef`` (a transaction hash or an address)."""
    if not value:
        return NA
    if len(value) <= head + tail + 2:
        return value
    return f"{value[:head]}..{value[-tail:]}"


def short_address(address: str | None, symbol: str | None = None) -> str:
    """``WETH 0xC02a..6Cc2`` when the symbol is known, else ``0xC02a..6Cc2``."""
    short = short_hash(address)
    return f"{symbol} {short}" if symbol and address else short


def endpoint_word(
    *, healthy: bool, lagging: bool = False, breaker: str = "closed"
) -> tuple[str, str]:
    """(word, severity) of one RPC endpoint; severity is ``ok``, ``warn`` or ``bad``."""
    if breaker == "open":
        return TRIPPED, "bad"
    if not healthy:
        return DOWN, "bad"
    if breaker == "half-open":
        return RETRY, "warn"
    if lagging:
        return LAG, "warn"
    return OK, "ok"


def breaker_word(state: str) -> tuple[str, str]:
    """(word, severity) of a circuit breaker state (``closed`` / ``open`` / ``half-open``)."""
    word = _BREAKER_WORDS.get(state, state.upper())
    return word, {OK: "ok", RETRY: "warn"}.get(word, "bad")
