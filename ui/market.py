"""The market panel's data: who is winning on the tracked pools, what we captured, why nothing
traded — read from the journal only, through the store's read side
(:func:`appliance.store.intel_queries.market_summary`).

Why a cache of its own: the panel's figures span a day of arbitrages and an hour of
opportunities, and they move slowly; the rest of the screen re-reads the journal every second.
:class:`MarketSource` reads at most every ``every_s`` seconds (monotonic), so the day's rows are
not summed four times a second on a Pi.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass

from appliance.store.intel_queries import market_summary
from appliance.units import short_hash

__all__ = ["MarketSource", "MarketView", "SearcherRow"]


@dataclass(frozen=True, slots=True)
class SearcherRow:
    searcher: str
    ours: bool
    symbol: str  # the start token's: the unit of both profits
    decimals: int
    profit_1h: int
    profit_24h: int
    count: int  # arbitrages and sandwiches in 24 h
    sandwiches: int


@dataclass(frozen=True, slots=True)
class MarketView:
    """Plain data for :class:`ui.widgets.market.MarketPanel`; ``read`` is False until the
    journal could be read (an old journal without the intelligence tables stays False)."""

    read: bool = False
    searchers: tuple[SearcherRow, ...] = ()
    capture_1h: float | None = None  # our realized profit / all realized, None: nobody realized
    capture_24h: float | None = None
    capture_symbol: str = ""
    capture_decimals: int = 18
    ours_24h: int = 0
    all_24h: int = 0
    rejections: tuple[tuple[str, int], ...] = ()  # the last hour's, most frequent first
    opportunities_1h: int = 0
    traded_1h: int = 0


class MarketSource:
    """:meth:`read` gives the current :class:`MarketView`, re-read at most every ``every_s``."""

    def __init__(self, every_s: float = 10.0) -> None:
        self.every_s = every_s
        self._view: MarketView | None = None
        self._at = -math.inf

    def read(self, conn: sqlite3.Connection, now: float, ref_token: str | None) -> MarketView:
        tick = time.monotonic()
        if self._view is not None and tick - self._at < self.every_s:
            return self._view
        try:
            view = _view(conn, now, ref_token)
        except sqlite3.Error:  # a journal from before market intelligence: nothing to show
            view = MarketView()
        self._view, self._at = view, tick
        return view


def _view(conn: sqlite3.Connection, now: float, ref_token: str | None) -> MarketView:
    conn.execute("BEGIN")  # one consistent view of the WAL
    try:
        doc = market_summary(conn, now=now)
        units = {
            a.lower(): (str(s), int(d))
            for a, s, d in conn.execute("SELECT address, symbol, decimals FROM tokens")
        }
    finally:
        conn.execute("COMMIT")

    def unit(token: str) -> tuple[str, int]:
        return units.get(token.lower(), (short_hash(token), 18))

    searchers = tuple(
        SearcherRow(
            searcher=e["searcher"],
            ours=e["ours"],
            symbol=unit(e["start_token"])[0],
            decimals=unit(e["start_token"])[1],
            profit_1h=e["profit_1h"],
            profit_24h=e["profit_24h"],
            count=e["count"],
            sandwiches=e["sandwiches"],
        )
        for e in doc["searchers"]
    )
    day, hour = doc["capture"]["24h"], doc["capture"]["1h"]
    token = _capture_token(day, ref_token)
    symbol, decimals = unit(token) if token else ("", 18)
    figures = day.get(token, {}) if token else {}
    return MarketView(
        read=True,
        searchers=searchers,
        capture_1h=hour.get(token, {}).get("rate") if token else None,
        capture_24h=figures.get("rate"),
        capture_symbol=symbol,
        capture_decimals=decimals,
        ours_24h=figures.get("ours_wei", 0),
        all_24h=figures.get("ours_wei", 0) + max(figures.get("others_wei", 0), 0),
        rejections=tuple(doc["rejections"]),
        opportunities_1h=doc["opportunities"],
        traded_1h=doc["traded"],
    )


def _capture_token(day: dict, ref_token: str | None) -> str | None:
    """The reference token when the day saw profit in it, else the token with the most."""
    if ref_token is not None:
        for token in day:
            if token.lower() == ref_token.lower():
                return token
    if not day:
        return ref_token
    return max(day, key=lambda t: day[t]["ours_wei"] + max(day[t]["others_wei"], 0))
