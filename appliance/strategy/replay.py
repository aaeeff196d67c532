"""Backtest: replay the reserves recorded in a journal through the detector.

The journal (``appliance.store``) keeps one ``reserves`` row per pool *change*, so replaying
block by block reproduces exactly the ReservesUpdated stream the market task saw; ``blocks``
gives each block's base fee, ``pools``/``tokens``/``denied_tokens`` the market. The journal is
opened read-only (``mode=ro``): a backtest never writes to it.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appliance.events import Candidate, PoolInfo, PoolsDiscovered, ReservesUpdated, TokenInfo
from appliance.strategy.detector import Detector
from appliance.strategy.errors import StrategyError

__all__ = ["ReplayError", "ReplaySummary", "replay_journal"]


class ReplayError(StrategyError):
    """The journal cannot be replayed (missing, not a journal, no reserves)."""

    exit_code = 2


@dataclass
class ReplaySummary:
    blocks: int = 0
    first_block: int | None = None
    last_block: int | None = None
    pools: int = 0
    cycles: int = 0
    candidates: int = 0
    blocks_with_candidates: int = 0
    net_profit: dict[str, int] = field(default_factory=dict)  # base token -> sum of net profit
    best: Candidate | None = None


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise ReplayError(f"journal {str(path)!r} does not exist")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        conn.execute("SELECT 1 FROM reserves LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise ReplayError(f"{str(path)!r} is not a readable journal: {exc}") from None
    return conn


def _market(
    conn: sqlite3.Connection,
) -> tuple[PoolsDiscovered, dict[int, str], list[tuple[str, str]]]:
    tokens = tuple(
        TokenInfo(a, s, d)
        for a, s, d in conn.execute("SELECT address, symbol, decimals FROM tokens")
    )
    pools, ids = [], {}
    for pid, address, dex, t0, t1, fee in conn.execute(
        "SELECT id, address, dex, token0, token1, fee_bps FROM pools ORDER BY id"
    ):
        if not dex or t0 is None or t1 is None or fee is None:
            continue  # a placeholder row: the pool was never described
        pools.append(PoolInfo(address, dex, t0, t1, int(fee)))
        ids[pid] = address
    denied = list(conn.execute("SELECT address, reason FROM denied_tokens"))
    return PoolsDiscovered(tokens, tuple(pools)), ids, denied


def _blocks(
    conn: sqlite3.Connection, ids: dict[int, str], lo: int, hi: int
) -> Iterator[ReservesUpdated]:
    rows = conn.execute(
        "SELECT block, pool_id, reserve0, reserve1 FROM reserves "
        "WHERE block BETWEEN ? AND ? ORDER BY block, rowid",
        (lo, hi),
    )
    current: int | None = None
    batch: dict[str, tuple[int, int]] = {}
    for block, pid, r0, r1 in rows:
        if current is not None and block != current:
            yield ReservesUpdated(current, "", batch)
            batch = {}
        current = block
        address = ids.get(pid)
        if address is not None:
            batch[address] = (int(r0), int(r1))
    if current is not None:
        yield ReservesUpdated(current, "", batch)


def replay_journal(
    cfg,
    journal: Path,
    *,
    from_block: int = 0,
    to_block: int | None = None,
    size_caps: dict[str, int] | None = None,
) -> ReplaySummary:
    """Replay ``journal`` through a fresh :class:`Detector` built from ``cfg``."""
    conn = _open(journal)
    try:
        discovered, ids, denied = _market(conn)
        if not discovered.pools:
            raise ReplayError(f"journal {str(journal)!r} has no described pools")
        base_fees = {
            n: (None if f is None else int(f))
            for n, f in conn.execute("SELECT number, base_fee FROM blocks")
        }
        det = Detector(cfg, size_caps=size_caps)
        det.on_pools(discovered)
        for token, reason in denied:
            det.deny(token, reason)
        summary = ReplaySummary(pools=len(discovered.pools))
        totals: dict[str, int] = defaultdict(int)
        hi = to_block if to_block is not None else 2**62
        for event in _blocks(conn, ids, from_block, hi):
            found = det.on_reserves(event, base_fees.get(event.block), seen_at=0.0)
            summary.blocks += 1
            summary.first_block = (
                summary.first_block if summary.first_block is not None else event.block
            )
            summary.last_block = event.block
            if found is None:
                continue
            summary.blocks_with_candidates += 1
            for cand in found.candidates:
                summary.candidates += 1
                totals[cand.base_token] += cand.net_profit
                if summary.best is None or cand.net_profit > summary.best.net_profit:
                    summary.best = cand
        summary.cycles = len(det.cycles)
        summary.net_profit = dict(totals)
        return summary
    finally:
        conn.close()
