"""Where a backtest's market comes from: a reserves CSV per pool, or the journal.

Both give the same thing, :class:`MarketBlock`: one block's number, base fee and timestamp when
known, and the reserves of the pools that *changed* in it (exact integers) — the stream the
live market task sees. The journal is read by the store's read side
(:func:`appliance.store.market_reader.journal_market`, the one reader of a recorded market,
re-exported here). A CSV (``blockNumber,reserve0,reserve1``, values optionally quoted, plain or
``.gz``) is one pool's per-block ``getReserves()``; several CSVs merge block by block. Rows that
repeat the previous reserves are not changes and are dropped, as the journal does.
"""

from __future__ import annotations

import csv
import gzip
import heapq
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from appliance.backtest.errors import BacktestError, BadMarketData
from appliance.store.market_reader import MarketBlock, journal_market

__all__ = ["MarketBlock", "journal_market", "merge_series", "read_reserves_csv"]

_HEADER = ["blockNumber", "reserve0", "reserve1"]
_MAX_RESERVE = 2**112 - 1  # uint112: what a V2 pair can hold


def read_reserves_csv(path: Path) -> Iterator[tuple[int, int, int]]:
    """``(block, reserve0, reserve1)`` per row of one pool's reserves CSV, validated.

    Raises :class:`BadMarketData` naming the file and line of the first bad row.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        stream = opener(path, "rt", newline="")
    except OSError as exc:
        raise BacktestError(f"cannot read reserves file {str(path)!r}: {exc.strerror}") from None
    with stream:
        try:
            rows = csv.reader(stream)
            header = next(rows, None)
            if header != _HEADER:
                raise BadMarketData(
                    f"{path}: the header must be {','.join(_HEADER)}, not {header!r}"
                )
            last = -1
            for line, row in enumerate(rows, start=2):
                yield _row(path, line, row, last)
                last = int(row[0])
        except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
            raise BadMarketData(f"{path}: unreadable ({exc})") from None


def _row(path: Path, line: int, row: list[str], last: int) -> tuple[int, int, int]:
    if len(row) != 3:
        raise BadMarketData(f"{path}:{line}: expected 3 fields, got {len(row)}")
    try:
        block, r0, r1 = (int(v, 10) for v in row)
    except ValueError:
        raise BadMarketData(f"{path}:{line}: not integers: {row!r}") from None
    if block <= last:
        raise BadMarketData(f"{path}:{line}: block {block} does not follow block {last}")
    if not (0 <= r0 <= _MAX_RESERVE and 0 <= r1 <= _MAX_RESERVE):
        raise BadMarketData(f"{path}:{line}: reserves out of the uint112 range: {row!r}")
    return block, r0, r1


def merge_series(series: Mapping[str, Iterable[tuple[int, int, int]]]) -> Iterator[MarketBlock]:
    """Merge per-pool ``(block, r0, r1)`` series into blocks of changes, in block order."""

    def tagged(pool: str, rows: Iterable[tuple[int, int, int]]):
        for block, r0, r1 in rows:
            yield block, pool, r0, r1

    last: dict[str, tuple[int, int]] = {}
    current: MarketBlock | None = None
    for block, pool, r0, r1 in heapq.merge(*(tagged(p, s) for p, s in series.items())):
        if last.get(pool) == (r0, r1):
            continue
        last[pool] = (r0, r1)
        if current is None or current.number != block:
            if current is not None:
                yield current
            current = MarketBlock(block, {})
        current.reserves[pool] = (r0, r1)
    if current is not None:
        yield current
