"""Read queries shared by the writer's :class:`Journal` and the read-only :class:`JournalReader`.

Every function takes a ``sqlite3.Connection`` and only reads. Wei columns are TEXT decimal strings
(see :mod:`appliance.store.schema`); they come back as ``int`` here.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from appliance.modes import Mode
from appliance.store.schema import SCHEMA_VERSION

__all__ = [
    "REFERENCE_KEY",
    "WEI_COLUMNS",
    "alerts",
    "counts_by_status",
    "decision_counts",
    "equity_series",
    "fetch",
    "last_block",
    "last_mode",
    "latest_opportunities",
    "latest_reserves",
    "latest_trades",
    "mode_changes",
    "opportunity_rate",
    "pnl_between",
    "pools",
    "reference_token",
    "reference_unit",
    "schema_version",
    "too_new_message",
]

WEI_COLUMNS = frozenset(
    {
        "amount_in",
        "amount_out",
        "gross_profit",
        "net_profit",
        "gas_cost",
        "expected_profit",
        "realized_profit",
        "reserve0",
        "reserve1",
        "base_fee",
        "value_ref",
    }
)
TRADE_STATUSES = ("signed", "sent", "mined", "reverted", "dropped", "paper")
REFERENCE_KEY = "store.reference_token"  # state row: the reference token's address (JSON str)
LATEST_WINDOW = 200_000  # reserve rows searched for each pool's latest reserves (no index)


def fetch(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    out = []
    for row in cur:
        item = dict(zip(names, row, strict=True))
        for key in WEI_COLUMNS.intersection(item):
            if item[key] is not None:
                item[key] = int(item[key])
        out.append(item)
    return out


def schema_version(conn: sqlite3.Connection) -> int:
    """0 for an empty database; raises ``sqlite3.DatabaseError`` for a non-database."""
    has = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not has:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def too_new_message(path: object, version: int) -> str:
    return (
        f"journal {str(path)!r} has schema version {version}, this code knows up to "
        f"{SCHEMA_VERSION}: upgrade arb-appliance (or move the journal away)"
    )


def last_mode(conn: sqlite3.Connection) -> Mode | None:
    row = conn.execute("SELECT new FROM mode_changes ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else Mode[row[0]]


def last_block(conn: sqlite3.Connection) -> dict[str, Any] | None:
    rows = fetch(conn, "SELECT * FROM blocks ORDER BY number DESC LIMIT 1")
    return rows[0] if rows else None


def latest_opportunities(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    rows = fetch(conn, "SELECT * FROM opportunities ORDER BY id DESC LIMIT ?", (limit,))
    for row in rows:
        row["path"] = json.loads(row["path"])
    return rows


def latest_trades(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    return fetch(
        conn, "SELECT * FROM trades ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
    )


def counts_by_status(conn: sqlite3.Connection) -> dict[str, int]:
    counts = dict.fromkeys(TRADE_STATUSES, 0)
    for status, n in conn.execute("SELECT status, count(*) FROM trades GROUP BY status"):
        counts[status] = n
    return counts


def decision_counts(conn: sqlite3.Connection) -> dict[str, int]:
    counts = {"candidate": 0, "approved": 0, "rejected": 0}
    for decision, n in conn.execute(
        "SELECT decision, count(*) FROM opportunities GROUP BY decision"
    ):
        counts[decision] = n
    return counts


def reference_token(conn: sqlite3.Connection) -> str | None:
    """The reference token's address as recorded by the store task at startup, if any."""
    row = conn.execute("SELECT value FROM state WHERE key = ?", (REFERENCE_KEY,)).fetchone()
    if row is None:
        return None
    value = json.loads(row[0])
    return value if isinstance(value, str) and value else None


def reference_unit(conn: sqlite3.Connection, token: str | None) -> tuple[str, int]:
    """``(symbol, decimals)`` of ``token`` from the tokens table; ``("", 18)`` when unknown."""
    if not token:
        return "", 18
    row = conn.execute(
        "SELECT symbol, decimals FROM tokens WHERE lower(address) = ?", (token.lower(),)
    ).fetchone()
    return ("", 18) if row is None else (str(row[0]), int(row[1]))


def _ref_value(
    status: str,
    realized: str | None,
    expected: str | None,
    gas_cost: str | None,
    base_token: str | None,
    value_ref: str | None,
    ref: str | None,
) -> int | None:
    """A finished trade's net in reference-token wei; None when it cannot be said exactly.

    ``value_ref`` when recorded. Rows without it (written before it existed) keep the old
    arithmetic only when their profit is in the reference token's unit: no ``base_token`` (the
    old single-unit assumption) or the reference token itself. Paper rows without ``value_ref``
    count their gross profit (the old behaviour: no gas was spent).
    """
    if value_ref is not None:
        return int(value_ref)
    if base_token is not None and (ref is None or base_token.lower() != ref.lower()):
        return None  # another unit and no conversion recorded: never add it up as this one
    if status == "paper":
        return int(realized if realized is not None else expected or 0)
    profit = int(realized) if status == "mined" and realized is not None else 0
    return profit - int(gas_cost or 0)


_PNL_COLUMNS = "status, realized_profit, expected_profit, gas_cost, base_token, value_ref"


def pnl_between(
    conn: sqlite3.Connection,
    start: float,
    end: float | None = None,
    *,
    ref_token: str | None = None,
) -> dict[str, int]:
    """Realized P&L of trades created in ``[start, end)``: ``{"live", "paper", "gas"}`` in wei.

    ``live`` and ``paper`` are in **reference-token wei** (the wrapped native coin gas is priced
    in; ``ref_token``, default the one the store recorded): the sum of each finished trade's
    ``value_ref`` (net after gas; a cancelled trade's is minus its gas). ``live`` counts mined,
    reverted and cancelled trades, ``paper`` the paper trades; ``gas`` is the native-coin wei
    spent by live trades. Rows that predate ``value_ref`` are counted as before only when their
    profit is in the reference token (see :func:`_ref_value`); others are left out, never mixed.
    """
    ref = ref_token if ref_token is not None else reference_token(conn)
    sql = f"SELECT {_PNL_COLUMNS} FROM trades WHERE created_at >= ?"
    params: list[Any] = [start]
    if end is not None:
        sql += " AND created_at < ?"
        params.append(end)
    live = paper = gas = 0
    for row in conn.execute(sql, params):
        status, gas_cost = row[0], row[3]
        value = _ref_value(*row, ref)
        if status == "paper":
            paper += value or 0
            continue
        if gas_cost is not None:
            gas += int(gas_cost)
        live += value or 0
    return {"live": live, "paper": paper, "gas": gas}


def equity_series(
    conn: sqlite3.Connection,
    start: float = 0.0,
    *,
    paper: bool = False,
    ref_token: str | None = None,
) -> list[tuple[float, int]]:
    """Cumulative P&L (reference-token wei, as :func:`pnl_between`) after each finished trade
    since ``start``: ``[(unix time, wei), ...]``. Trades whose value is unknown are skipped."""
    ref = ref_token if ref_token is not None else reference_token(conn)
    statuses = ("paper",) if paper else ("mined", "reverted", "dropped")
    out: list[tuple[float, int]] = []
    total = 0
    for at, *row in conn.execute(
        f"SELECT updated_at, {_PNL_COLUMNS} FROM trades "
        f"WHERE created_at >= ? AND status IN ({','.join('?' * len(statuses))}) "
        "ORDER BY updated_at",
        (start, *statuses),
    ):
        if row[0] == "dropped" and row[5] is None and row[3] is None:
            continue  # dropped before the wire: no effect on equity, no point
        value = _ref_value(*row, ref)
        if value is None:
            continue
        total += value
        out.append((at, total))
    return out


def alerts(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    rows = fetch(conn, "SELECT * FROM alerts ORDER BY id DESC LIMIT ?", (limit,))
    for row in rows:
        row["extra"] = json.loads(row["extra"])
    return rows


def mode_changes(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    return fetch(conn, "SELECT * FROM mode_changes ORDER BY id DESC LIMIT ?", (limit,))


def latest_reserves(
    conn: sqlite3.Connection, window: int = LATEST_WINDOW
) -> list[tuple[int, int, int, int]]:
    """``(pool_id, reserve0, reserve1, block)`` of each pool's last row among the last ``window``."""
    return [
        (pool_id, int(r0), int(r1), block)
        for pool_id, r0, r1, block in conn.execute(
            "SELECT pool_id, reserve0, reserve1, block FROM reserves WHERE rowid IN "
            "(SELECT max(rowid) FROM reserves WHERE rowid > "
            "(SELECT coalesce(max(rowid), 0) FROM reserves) - ? GROUP BY pool_id)",
            (window,),
        )
    ]


def pools(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every pool with its latest reserves (None when not among the recent rows)."""
    rows = fetch(conn, "SELECT * FROM pools ORDER BY id")
    latest = {pool_id: (r0, r1, block) for pool_id, r0, r1, block in latest_reserves(conn)}
    for row in rows:
        r0, r1, block = latest.get(row["id"], (None, None, None))
        row.update(reserve0=r0, reserve1=r1, reserves_block=block)
    return rows


def opportunity_rate(
    conn: sqlite3.Connection, *, since: float, bucket_s: float, buckets: int, window: int = 10_000
) -> list[int]:
    """Opportunities journaled per ``bucket_s`` seconds, ``buckets`` buckets from ``since``
    (oldest first): the screen's opportunity-rate sparkline.

    Reads only the newest ``window`` rows (by id, i.e. in journal order): bounded work on a
    large journal; a burst of more than ``window`` rows in the period undercounts its start.
    """
    counts = [0] * buckets
    for bucket, n in conn.execute(
        "SELECT CAST((at - ?) / ? AS INTEGER) AS b, count(*) FROM "
        "(SELECT at FROM opportunities ORDER BY id DESC LIMIT ?) WHERE at >= ? GROUP BY b",
        (since, bucket_s, window, since),
    ):
        if 0 <= bucket < buckets:
            counts[bucket] = n
    return counts
