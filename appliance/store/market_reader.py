"""The recorded market, read back: a journal's pools, denied tokens and blocks of reserve changes.

The one reader of the market a journal recorded (the backtest replays it; nothing else reads it
this way). The journal keeps one ``reserves`` row per pool *change*, so reading them block by
block gives exactly the ``ReservesUpdated`` stream the market task saw; ``blocks`` gives each
block's base fee and timestamp, ``pools``/``tokens``/``denied_tokens`` the market itself.

Read-only like :mod:`appliance.store.reader`: the file is opened ``mode=ro`` (a backtest never
writes to the journal), and this module imports no Trio, chain, trading or hardware code.

>>> discovered, denied, blocks = journal_market(path, from_block=100, to_block=200)
>>> for block in blocks: ...    # MarketBlock(number, {pool: (r0, r1)}, base_fee, timestamp)
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appliance.events import PoolInfo, PoolsDiscovered, TokenInfo
from appliance.store.errors import JournalMissing, MarketNotRecorded
from appliance.store.preflight import check_header, damaged

__all__ = ["MarketBlock", "journal_market"]


@dataclass(frozen=True, slots=True)
class MarketBlock:
    """One block of a recorded (or replayed) market: the pools that *changed* in it."""

    number: int
    reserves: dict[str, tuple[int, int]]  # pool -> (reserve0, reserve1), changed pools only
    base_fee: int | None = None
    timestamp: int | None = None
    extra: dict[str, object] = field(default_factory=dict)


def journal_market(
    path: Path | str, *, from_block: int = 0, to_block: int | None = None
) -> tuple[PoolsDiscovered, list[tuple[str, str]], Iterator[MarketBlock]]:
    """The market the journal at ``path`` recorded: its pools, its denied tokens ``(address,
    reason)``, and its blocks of changes from ``from_block`` to ``to_block`` (inclusive).

    The first block is the market *as of* ``from_block``: every pool's last recorded reserves at
    or before it (a pool that last changed earlier still has its reserves), numbered
    ``from_block``; the later blocks are the changes, as recorded, and every recorded head
    without a change as a block of no changes (live evaluates those too: a new base fee).

    Raises :class:`JournalMissing` (no file), :class:`JournalCorrupt` (not a journal) or
    :class:`MarketNotRecorded` (no described pool). The iterator holds the journal open until it
    is exhausted or closed.
    """
    path = Path(path)
    if not check_header(path):
        raise JournalMissing(f"journal {str(path)!r} does not exist")
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        conn.execute("SELECT 1 FROM reserves LIMIT 1").fetchall()
        tokens = tuple(
            TokenInfo(a, s, d)
            for a, s, d in conn.execute("SELECT address, symbol, decimals FROM tokens")
        )
        pools, ids = [], {}
        for pid, address, dex, t0, t1, fee in conn.execute(
            "SELECT id, address, dex, token0, token1, fee_bps FROM pools ORDER BY id"
        ):
            if dex and t0 is not None and t1 is not None and fee is not None:
                pools.append(PoolInfo(address, dex, t0, t1, int(fee)))
                ids[pid] = address
            # else: a placeholder row, the pool was never described
        denied = [(a, r) for a, r in conn.execute("SELECT address, reason FROM denied_tokens")]
        headers = {
            n: (None if f is None else int(f), t)
            for n, f, t in conn.execute("SELECT number, base_fee, timestamp FROM blocks")
        }
    except sqlite3.Error as exc:
        raise damaged(path, f"not a readable journal: {' '.join(str(exc).split())}") from None
    if not pools:
        conn.close()
        raise MarketNotRecorded(f"journal {str(path)!r} has no described pools")
    hi = to_block if to_block is not None else 2**62
    return (
        PoolsDiscovered(tokens, tuple(pools)),
        denied,
        _blocks(conn, ids, headers, from_block, hi),
    )


def _blocks(
    conn: sqlite3.Connection,
    ids: dict[int, str],
    headers: dict[int, tuple[int | None, int | None]],
    lo: int,
    hi: int,
) -> Iterator[MarketBlock]:
    try:
        state = conn.execute(
            "SELECT pool_id, reserve0, reserve1 FROM (SELECT pool_id, reserve0, reserve1, "
            "row_number() OVER (PARTITION BY pool_id ORDER BY block DESC, rowid DESC) AS k "
            "FROM reserves WHERE block <= ?) WHERE k = 1 ORDER BY pool_id",
            (min(lo, hi),),
        ).fetchall()
        current: MarketBlock | None = None
        start = {ids[pid]: (int(r0), int(r1)) for pid, r0, r1 in state if pid in ids}
        if start and lo <= hi:
            fee, ts = headers.get(lo, (None, None))
            current = MarketBlock(lo, start, fee, ts)
        rows = conn.execute(
            "SELECT block, pool_id, reserve0, reserve1 FROM reserves "
            "WHERE block > ? AND block <= ? ORDER BY block, rowid",
            (lo, hi),
        )
        # a head without changes is a block too (live evaluates it: its base fee is new)
        quiet = iter(sorted(n for n in headers if lo < n <= hi))
        nxt = next(quiet, None)
        for block, pid, r0, r1 in rows:
            if current is None or current.number != block:
                if current is not None:
                    yield current
                while nxt is not None and nxt < block:
                    yield MarketBlock(nxt, {}, *headers[nxt])
                    nxt = next(quiet, None)
                if nxt == block:
                    nxt = next(quiet, None)
                fee, ts = headers.get(block, (None, None))
                current = MarketBlock(block, {}, fee, ts)
            address = ids.get(pid)
            if address is not None:
                current.reserves[address] = (int(r0), int(r1))
        if current is not None:
            yield current
        while nxt is not None:
            yield MarketBlock(nxt, {}, *headers[nxt])
            nxt = next(quiet, None)
    finally:
        conn.close()
