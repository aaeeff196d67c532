"""The journal's market-intelligence rows: written by the store task, read by ``competitors``,
``why`` and the screen.

``arbitrages`` holds what :class:`~appliance.events.MarketIntelSeen` reported, one row per
arbitrage or sandwich; ``swap_blocks`` every swap of :class:`~appliance.events.SwapsSeen`, one compact row per block
(:mod:`appliance.store.swap_codec`), bounded by :func:`prune_swaps`. Opportunity *fates* are
derived here, not stored: an opportunity the
appliance saw in block ``b`` was

* ``ours:<status>`` when we traded it (``mined``, ``reverted``, ``paper``, ``dropped``...);
* ``rejected:<reason>`` when the risk engine refused it — unless someone else took it, then
* ``taken`` when another searcher's arbitrage on one of its pools landed in ``b .. b+window``
  (which transaction, which searcher, what they realized against the optimum we computed);
* ``vanished`` otherwise (the price moved back, or nobody could make it pay).

Amounts are exact integers (TEXT in SQLite, ``int`` here); sums are done in Python.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from appliance.events import MarketIntelSeen, SwapsSeen
from appliance.store.swap_codec import StoredSwap, decode_swaps, encode_swaps

__all__ = [
    "FATE_WINDOW_BLOCKS",
    "PRUNE_CHUNK",
    "add_intel",
    "add_swaps",
    "capture",
    "latest_arbitrages",
    "latest_swaps",
    "leaderboard",
    "market_summary",
    "opportunity_fates",
    "prune_swaps",
    "rollback_swaps",
    "swap_count",
]

FATE_WINDOW_BLOCKS = 3  # an opportunity taken within this many blocks after we saw it
PRUNE_CHUNK = 100  # swap_blocks rows (blocks) deleted per commit at least (more when more added)
_NOT_OURS = ("arbitrage", "sandwich")


def add_swaps(conn: sqlite3.Connection, events: Iterable[tuple[SwapsSeen, Sequence[int]]]) -> int:
    """Append the swaps of ``events`` (in block order), each event with its swaps' ``pools.id``:
    one ``swap_blocks`` row per block (a block seen again replaces its row). Returns the rows
    written."""
    rows = [(e.block, len(e.swaps), encode_swaps(e.swaps, ids)) for e, ids in events if e.swaps]
    conn.executemany("INSERT OR REPLACE INTO swap_blocks VALUES (?, ?, ?)", rows)
    return len(rows)


def prune_swaps(conn: sqlite3.Connection, *, before_block: int, limit: int = PRUNE_CHUNK) -> int:
    """Delete at most ``limit`` of the oldest blocks' swaps, of blocks before ``before_block``.

    The block is the primary key: one bounded range delete inside the commit that called it.
    Run every commit with a ``limit`` above the rows that commit added, a backlog (a retention
    shortened, a long stop) drains over a few commits instead of stalling one.
    """
    rows = conn.execute(
        "SELECT block FROM swap_blocks WHERE block < ? ORDER BY block LIMIT 1 OFFSET ?",
        (before_block, limit - 1),
    ).fetchone()
    last = before_block if rows is None else rows[0] + 1
    return conn.execute("DELETE FROM swap_blocks WHERE block < ?", (last,)).rowcount


def rollback_swaps(conn: sqlite3.Connection, block: int) -> int:
    """A reorg: delete the swaps of blocks above ``block``."""
    return conn.execute("DELETE FROM swap_blocks WHERE block > ?", (block,)).rowcount


def swap_count(conn: sqlite3.Connection) -> int:
    """How many swaps the journal holds."""
    return conn.execute("SELECT coalesce(sum(n), 0) FROM swap_blocks").fetchone()[0]


def latest_swaps(conn: sqlite3.Connection, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest swaps, newest first, with hex hashes and addresses and the pool's tokens."""
    found: list[tuple[int, StoredSwap]] = []
    for block, blob in conn.execute("SELECT block, swaps FROM swap_blocks ORDER BY block DESC"):
        found.extend((block, s) for s in reversed(decode_swaps(blob)))
        if len(found) >= limit:
            break
    pools: dict[int, tuple[str, str | None, str | None]] = {}
    for pid in {s.pool_id for _, s in found[:limit]}:
        row = conn.execute("SELECT address, token0, token1 FROM pools WHERE id = ?", (pid,))
        pools[pid] = row.fetchone() or (None, None, None)
    out = []
    for block, s in found[:limit]:
        pool, t0, t1 = pools[s.pool_id]
        out.append(
            {
                "block": block,
                "tx_hash": s.tx_hash,
                "log_index": s.log_index,
                "pool": pool,
                "token_in": t0 if s.zero_for_one else t1,
                "token_out": t1 if s.zero_for_one else t0,
                "amount_in": s.amount_in,
                "amount_out": s.amount_out,
                "sender": s.sender,
                "recipient": s.recipient,
                "tx_sender": s.tx_sender,
            }
        )
    return out


def add_intel(conn: sqlite3.Connection, event: MarketIntelSeen, now: float | None = None) -> int:
    """Append the event's arbitrages (the store task's single writer calls this)."""
    at = time.time() if now is None else now
    rows = [
        (
            at,
            a.block,
            a.tx_hash,
            a.kind,
            a.searcher,
            a.contract,
            a.start_token,
            str(a.profit_wei),
            str(a.gas_wei),
            json.dumps(list(a.pools)),
            json.dumps(list(a.victims)),
        )
        for a in event.arbitrages
    ]
    conn.executemany(
        "INSERT INTO arbitrages (at, block, tx_hash, kind, searcher, contract, start_token, "
        "profit, gas, pools, victims) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def _arbitrage(row: tuple) -> dict[str, Any]:
    at, block, tx_hash, kind, searcher, contract, token, profit, gas, pools, victims = row
    return {
        "at": at,
        "block": block,
        "tx_hash": tx_hash,
        "kind": kind,
        "searcher": searcher,
        "contract": contract,
        "start_token": token,
        "profit_wei": int(profit),
        "gas_wei": int(gas),
        "pools": json.loads(pools),
        "victims": json.loads(victims),
    }


def _rows(conn: sqlite3.Connection, since: float, kinds: tuple[str, ...]) -> list[dict]:
    marks = ", ".join("?" for _ in kinds)
    cur = conn.execute(
        "SELECT at, block, tx_hash, kind, searcher, contract, start_token, profit, gas, pools, "
        f"victims FROM arbitrages WHERE at >= ? AND kind IN ({marks}) ORDER BY id",
        (since, *kinds),
    )
    return [_arbitrage(r) for r in cur]


def latest_arbitrages(
    conn: sqlite3.Connection, *, since: float = 0.0, limit: int = 20, ours: bool = False
) -> list[dict[str, Any]]:
    """The newest arbitrages and sandwiches (others' by default), newest first."""
    kinds = ("ours",) if ours else _NOT_OURS
    return list(reversed(_rows(conn, since, kinds)))[:limit]


def leaderboard(conn: sqlite3.Connection, *, since: float = 0.0) -> list[dict[str, Any]]:
    """Searchers by realized profit (ours included, marked), per start token, best first."""
    board: dict[tuple[str, str], dict[str, Any]] = {}
    for a in _rows(conn, since, ("ours", *_NOT_OURS)):
        key = (a["searcher"].lower(), a["start_token"])
        entry = board.setdefault(
            key,
            {
                "searcher": a["searcher"],
                "start_token": a["start_token"],
                "ours": False,
                "arbitrages": 0,
                "sandwiches": 0,
                "losing": 0,
                "profit_wei": 0,
                "gas_wei": 0,
                "contracts": set(),
            },
        )
        entry["ours"] = entry["ours"] or a["kind"] == "ours"
        entry["sandwiches" if a["kind"] == "sandwich" else "arbitrages"] += 1
        entry["losing"] += a["profit_wei"] < 0
        entry["profit_wei"] += a["profit_wei"]
        entry["gas_wei"] += a["gas_wei"]
        if a["contract"]:
            entry["contracts"].add(a["contract"])
    out = []
    for entry in board.values():
        entry["contracts"] = sorted(entry["contracts"])
        out.append(entry)
    return sorted(out, key=lambda e: e["profit_wei"], reverse=True)


def opportunity_fates(
    conn: sqlite3.Connection, *, since: float = 0.0, window: int = FATE_WINDOW_BLOCKS
) -> dict[str, Any]:
    """Each opportunity's fate since ``since`` (module docstring), counted, with examples."""
    opportunities = conn.execute(
        "SELECT o.id, o.block, o.path, o.gross_profit, o.decision, o.reason, t.status "
        "FROM opportunities o LEFT JOIN trades t ON t.order_id = o.order_id WHERE o.at >= ? "
        "ORDER BY o.id",
        (since,),
    ).fetchall()
    if not opportunities:
        return {"opportunities": 0, "fates": {}, "rejections": {}, "taken": []}
    first = min(o[1] for o in opportunities)
    by_pool: dict[str, list[dict]] = defaultdict(list)
    for a in conn.execute(
        "SELECT at, block, tx_hash, kind, searcher, contract, start_token, profit, gas, pools, "
        "victims FROM arbitrages WHERE block >= ? AND kind IN ('arbitrage', 'sandwich')",
        (first,),
    ):
        arb = _arbitrage(a)
        for pool in arb["pools"]:
            by_pool[pool.lower()].append(arb)
    fates: Counter[str] = Counter()
    rejections: Counter[str] = Counter()
    taken = []
    for _, block, path, gross, decision, reason, status in opportunities:
        if status:
            fates[f"ours:{status}"] += 1
            continue
        if decision == "rejected":
            rejections[reason or "unknown"] += 1
        rival = _taker(by_pool, json.loads(path), block, window)
        if rival is not None:
            fates["taken"] += 1
            taken.append(
                {
                    "block": block,
                    "tx_hash": rival["tx_hash"],
                    "searcher": rival["searcher"],
                    "their_profit_wei": rival["profit_wei"],
                    "our_optimum_wei": int(gross),
                    "we_had": f"rejected:{reason}" if decision == "rejected" else decision,
                }
            )
        elif decision == "rejected":
            fates[f"rejected:{reason or 'unknown'}"] += 1
        else:
            fates["vanished"] += 1
    return {
        "opportunities": len(opportunities),
        "fates": dict(fates.most_common()),
        "rejections": dict(rejections.most_common()),
        "taken": taken[-20:],
    }


def _taker(by_pool, path: list[str], block: int, window: int) -> dict | None:
    for pool in path:
        for arb in by_pool.get(pool.lower(), ()):
            if block <= arb["block"] <= block + window:
                return arb
    return None


def capture(conn: sqlite3.Connection, *, since: float = 0.0) -> dict[str, dict[str, Any]]:
    """Per start token: our realized profit over all arbitrage profit realized on the pools.

    Ours comes from ``trades`` (mined and paper fills, realized gross profit in their base
    token), others' from ``arbitrages`` (kind ``arbitrage``; sandwiches are not arbitrage
    profit). ``rate`` is None when nobody realized anything.
    """
    ours: Counter[str] = Counter()
    for token, realized in conn.execute(
        "SELECT base_token, realized_profit FROM trades WHERE updated_at >= ? "
        "AND status IN ('mined', 'paper') AND realized_profit IS NOT NULL",
        (since,),
    ):
        if token:
            ours[token] += int(realized)
    others: Counter[str] = Counter()
    for token, profit in conn.execute(
        "SELECT start_token, profit FROM arbitrages WHERE at >= ? AND kind = 'arbitrage'", (since,)
    ):
        others[token] += int(profit)
    out = {}
    for token in sorted(set(ours) | set(others), key=str.lower):
        total = ours[token] + max(others[token], 0)
        out[token] = {
            "ours_wei": ours[token],
            "others_wei": others[token],
            "rate": ours[token] / total if total > 0 else None,
        }
    return out


# ------------------------------------------------------------------------ the screen's panel
HOUR, DAY = 3600.0, 86400.0


def _first_id_at(conn: sqlite3.Connection, table: str, since: float) -> int | None:
    """Smallest id of ``table`` (``arbitrages`` or ``opportunities``: ids grow with ``at``)
    whose ``at`` is ``since`` or later, by binary search on the primary key (neither table has
    an index on ``at``: one more index page per commit). None when no row is that recent."""
    q = conn.execute
    lo, hi = q(f"SELECT min(id), max(id) FROM {table}").fetchone()
    if lo is None:
        return None
    best, hi = None, hi + 1
    while lo < hi:
        mid = (lo + hi) // 2
        row = q(f"SELECT id, at FROM {table} WHERE id >= ? ORDER BY id LIMIT 1", (mid,)).fetchone()
        if row is None:
            break
        if row[1] >= since:
            best, hi = row[0], mid
        else:
            lo = row[0] + 1
    return best


def market_summary(
    conn: sqlite3.Connection, *, now: float | None = None, top: int = 5
) -> dict[str, Any]:
    """What the status screen's market panel shows, from the journal alone:

    * ``searchers``: the ``top`` searchers by realized profit over the last 24 h (per start
      token; profit in it, gas in native wei), each with its last hour too, ours marked;
    * ``capture``: per window (``"1h"``, ``"24h"``) :func:`capture`'s figures per token;
    * ``rejections``: the risk engine's refusal reasons of the last hour, most frequent first
      ("why nothing traded"), with ``opportunities`` and ``traded`` counted over that hour.

    Reads only rows of the last 24 h (ids found by binary search), sums exact ints.
    """
    now = time.time() if now is None else now
    day, hour = now - DAY, now - HOUR
    board: dict[tuple[str, str], dict[str, Any]] = {}
    first = _first_id_at(conn, "arbitrages", day)
    if first is not None:
        for at, kind, searcher, token, profit, gas in conn.execute(
            "SELECT at, kind, searcher, start_token, profit, gas FROM arbitrages WHERE id >= ?",
            (first,),
        ):
            entry = board.setdefault(
                (searcher.lower(), token),
                {
                    "searcher": searcher,
                    "start_token": token,
                    "ours": False,
                    "count": 0,
                    "sandwiches": 0,
                    "profit_1h": 0,
                    "profit_24h": 0,
                    "gas_24h": 0,
                },
            )
            entry["ours"] = entry["ours"] or kind == "ours"
            entry["count"] += 1
            entry["sandwiches"] += kind == "sandwich"
            entry["profit_24h"] += int(profit)
            entry["gas_24h"] += int(gas)
            if at >= hour:
                entry["profit_1h"] += int(profit)
    searchers = sorted(board.values(), key=lambda e: (-e["profit_24h"], e["searcher"].lower()))
    rejections: Counter[str] = Counter()
    opportunities = traded = 0
    first = _first_id_at(conn, "opportunities", hour)
    if first is not None:
        for decision, reason in conn.execute(
            "SELECT decision, reason FROM opportunities WHERE id >= ?", (first,)
        ):
            opportunities += 1
            if decision == "rejected":
                rejections[reason or "unknown"] += 1
            elif decision == "approved":
                traded += 1
    return {
        "searchers": searchers[:top],
        "capture": {"1h": capture(conn, since=hour), "24h": capture(conn, since=day)},
        "rejections": rejections.most_common(),
        "opportunities": opportunities,
        "traded": traded,
    }
