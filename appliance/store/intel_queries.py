"""The journal's market-intelligence rows: written by the store task, read by ``competitors``,
``why`` and the screen.

``arbitrages`` holds what :class:`~appliance.events.MarketIntelSeen` reported, one row per
arbitrage or sandwich. Opportunity *fates* are derived here, not stored: an opportunity the
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
from typing import Any

from appliance.events import MarketIntelSeen

__all__ = [
    "FATE_WINDOW_BLOCKS",
    "add_intel",
    "capture",
    "latest_arbitrages",
    "leaderboard",
    "opportunity_fates",
]

FATE_WINDOW_BLOCKS = 3  # an opportunity taken within this many blocks after we saw it
_NOT_OURS = ("arbitrage", "sandwich")


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
