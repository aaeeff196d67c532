"""The read-only side of the store, for ``arb-appliance status`` and the status screen.

Nothing here can write: the journal is opened as ``file:...?mode=ro`` (an INSERT fails with
"attempt to write a readonly database") and the state file is mapped ``ACCESS_READ``. This module
imports neither Trio nor any trading, chain or hardware code (the UI depends on that; tested).

>>> reader = JournalReader(data_dir / "journal.sqlite")
>>> reader.latest_trades(10), reader.trade_counts(), reader.pnl_today()
>>> status_document(cfg)      # the dict printed by ``arb-appliance status --json``
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
import urllib.parse
from pathlib import Path
from typing import Any

from appliance.safety import LATCH_NAME
from appliance.store import queries
from appliance.store.errors import JournalCorrupt, JournalMissing, JournalTooNew, StateFileError
from appliance.store.preflight import check_header, damaged
from appliance.store.schema import JOURNAL_NAME, SCHEMA_VERSION
from appliance.store.statefile import STATE_FILE_NAME, StateReader, StateSnapshot

__all__ = ["STALE_AFTER_S", "JournalReader", "config_reference_token", "status_document"]

STALE_AFTER_S = 15.0  # the writer publishes at least every second; older means it is not running


class JournalReader:
    """A read-only view of the journal. Wei amounts come back as ``int``.

    Raises :class:`JournalMissing` when there is no file (a reader never creates one),
    :class:`JournalTooNew` for a newer schema, :class:`JournalCorrupt` for a non-journal.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise JournalMissing(f"no journal at {str(self.path)!r}")
        check_header(self.path)  # empty or not SQLite: "journal damaged", one line
        uri = f"file:{urllib.parse.quote(str(self.path.resolve()))}?mode=ro"
        try:
            self.conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self.conn.execute("PRAGMA busy_timeout = 2000")
            version = queries.schema_version(self.conn)
        except sqlite3.DatabaseError as exc:
            raise damaged(self.path, " ".join(str(exc).split())) from None
        if version > SCHEMA_VERSION:
            self.conn.close()
            raise JournalTooNew(queries.too_new_message(self.path, version))
        if version == 0:
            self.conn.close()
            raise JournalCorrupt(f"{str(self.path)!r} has no journal schema yet")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def latest_opportunities(self, limit: int = 20) -> list[dict[str, Any]]:
        return queries.latest_opportunities(self.conn, limit)

    def latest_trades(self, limit: int = 20) -> list[dict[str, Any]]:
        return queries.latest_trades(self.conn, limit)

    def trade_counts(self) -> dict[str, int]:
        """Trades by status: signed, sent, mined, reverted, dropped, paper."""
        return queries.counts_by_status(self.conn)

    def decision_counts(self) -> dict[str, int]:
        """Opportunities by decision: candidate, approved, rejected."""
        return queries.decision_counts(self.conn)

    def reference_token(self) -> str | None:
        """The token P&L is counted in (recorded by the store task; None before it ran)."""
        return queries.reference_token(self.conn)

    def reference_unit(self, token: str | None = None) -> tuple[str, int]:
        """``(symbol, decimals)`` of ``token`` (default the reference token); ``("", 18)``."""
        return queries.reference_unit(self.conn, token or self.reference_token())

    def pnl_today(
        self, *, reset_hour_utc: int = 0, now: float | None = None, ref_token: str | None = None
    ) -> dict[str, int]:
        """P&L since the last daily reset: ``{"live", "paper", "gas"}``; live and paper in
        reference-token wei, gas in native wei (see :func:`queries.pnl_between`)."""
        return queries.pnl_between(self.conn, day_start(reset_hour_utc, now), ref_token=ref_token)

    def pnl_days(
        self, days: int = 7, *, now: float | None = None, ref_token: str | None = None
    ) -> dict[str, int]:
        now = time.time() if now is None else now
        return queries.pnl_between(self.conn, now - days * 86400, ref_token=ref_token)

    def equity_series(
        self, since: float = 0.0, *, paper: bool = False, ref_token: str | None = None
    ) -> list[tuple[float, int]]:
        return queries.equity_series(self.conn, since, paper=paper, ref_token=ref_token)

    def alerts(self, limit: int = 20) -> list[dict[str, Any]]:
        return queries.alerts(self.conn, limit)

    def mode_changes(self, limit: int = 20) -> list[dict[str, Any]]:
        return queries.mode_changes(self.conn, limit)

    def pools(self) -> list[dict[str, Any]]:
        """Pools by id (``id - 1`` = state-file price slot) with their latest reserves."""
        return queries.pools(self.conn)

    def last_mode(self):  # -> Mode | None
        return queries.last_mode(self.conn)

    def last_block(self) -> dict[str, Any] | None:
        return queries.last_block(self.conn)

    def counts(self) -> dict[str, int]:
        """Rows of the small tables: pools, tokens, denied tokens."""
        one = self.conn.execute
        return {
            "pools": one("SELECT count(*) FROM pools").fetchone()[0],
            "tokens": one("SELECT count(*) FROM tokens").fetchone()[0],
            "denied": one("SELECT count(*) FROM denied_tokens").fetchone()[0],
        }


def day_start(reset_hour_utc: int = 0, now: float | None = None) -> float:
    """Unix time of the latest daily reset (``reset_hour_utc``:00 UTC) at or before ``now``."""
    now_dt = dt.datetime.fromtimestamp(time.time() if now is None else now, dt.UTC)
    start = now_dt.replace(hour=reset_hour_utc, minute=0, second=0, microsecond=0)
    if start > now_dt:
        start -= dt.timedelta(days=1)
    return start.timestamp()


def _storage(cfg: Any) -> Any:
    return getattr(cfg, "storage", cfg)


def config_reference_token(cfg: Any) -> str | None:
    """``strategy.native_token or tokens.base[0]`` of an ``AppConfig``; None for other configs."""
    native = getattr(getattr(cfg, "strategy", None), "native_token", None)
    base = tuple(getattr(getattr(cfg, "tokens", None), "base", None) or ())
    return native or (base[0] if base else None)


def status_document(cfg: Any, *, now: float | None = None) -> dict[str, Any]:
    """The live status as plain data (``arb-appliance status --json``).

    ``cfg`` is an ``AppConfig`` (or its ``StorageConfig``). Sources: the state file for the live
    picture, the journal for totals and as a fallback. ``supervisor`` is ``running``,
    ``stale`` (the writer's pid exists but it stopped publishing) or ``not running``; with neither
    file present ``mode`` is ``unknown`` and ``sources`` is empty. Wei amounts are JSON integers.
    ``pnl_today`` is in reference-token wei (the wrapped native coin gas is priced in), named by
    ``pnl_unit`` (its symbol, "" when unknown) and ``pnl_decimals``.
    """
    now = time.time() if now is None else now
    storage = _storage(cfg)
    state_path = Path(storage.runtime_dir) / STATE_FILE_NAME
    journal_path = Path(storage.data_dir) / JOURNAL_NAME
    live_cfg = getattr(cfg, "live", None)
    reset_hour = getattr(getattr(cfg, "risk", None), "daily_reset_hour_utc", 0)
    ref = config_reference_token(cfg)
    unit: tuple[str, int] = ("", 18)
    problems: list[str] = []

    snap: StateSnapshot | None = None
    try:
        with StateReader(state_path) as reader:
            snap = reader.snapshot(prices=False)
    except StateFileError as exc:
        problems.append(str(exc))

    journal: dict[str, Any] | None = None
    damage: str | None = None
    try:
        with JournalReader(journal_path) as jr:
            last = jr.last_block()
            mode = jr.last_mode()
            ref = ref or jr.reference_token()
            unit = jr.reference_unit(ref)
            journal = {
                "mode": None if mode is None else mode.name,
                "head": last,
                "trades": jr.trade_counts(),
                "decisions": jr.decision_counts(),
                "pnl": jr.pnl_today(reset_hour_utc=reset_hour, now=now, ref_token=ref),
                "counts": jr.counts(),
            }
    except (JournalMissing, JournalTooNew) as exc:
        problems.append(str(exc))
    except JournalCorrupt as exc:
        problems.append(str(exc))
        damage = str(exc)
    except sqlite3.DatabaseError as exc:  # a damaged page met by a query, past the header
        damage = str(damaged(journal_path, " ".join(str(exc).split())))
        problems.append(damage)

    latched = (Path(storage.data_dir) / LATCH_NAME).exists()
    doc: dict[str, Any] = {
        "mode": "unknown",
        "supervisor": "not running",
        "live": live_cfg,
        "kill_switch": latched,
        "leds": None,
        "head_block": None,
        "head_age_s": None,
        "rpc": [],
        "chain_input": None,  # "streaming" | "polling" (None: unknown or no WebSocket endpoint)
        "pools": 0,
        "opportunities": {"detected": 0, "approved": 0, "rejected": 0},
        "trades": dict.fromkeys(queries.TRADE_STATUSES, 0),
        "pnl_today": 0,
        "pnl_unit": unit[0],
        "pnl_decimals": unit[1],
        "pnl_today_detail": {"live": 0, "paper": 0, "gas": 0},
        "breakers": {},
        "risk": {},
        "pid": None,
        "updated_age_s": None,
        "last_alert": None,
        "sources": [],
        "problems": problems,
        "state_file": str(state_path),
        "journal": str(journal_path),
        "journal_damaged": damage,
    }
    if journal is not None:
        doc["sources"].append("journal")
        if journal["mode"]:
            doc["mode"] = journal["mode"]
        head = journal["head"]
        if head is not None:
            doc["head_block"] = head["number"]
            doc["head_age_s"] = round(max(0.0, now - head["timestamp"]), 1)
        doc["pools"] = journal["counts"]["pools"]
        decisions = journal["decisions"]
        doc["opportunities"] = {
            "detected": sum(decisions.values()),
            "approved": decisions["approved"],
            "rejected": decisions["rejected"],
        }
        doc["trades"] = journal["trades"]
        doc["pnl_today_detail"] = journal["pnl"]
    if snap is not None:
        doc["sources"].append("state_file")
        alive = snap.writer_alive()
        fresh = snap.age_s(now) <= STALE_AFTER_S
        doc["supervisor"] = "running" if alive and fresh else ("stale" if alive else "not running")
        if snap.mode is not None:
            doc["mode"] = snap.mode.name
        doc["kill_switch"] = latched or snap.kill_switch
        doc["leds"] = snap.leds
        if doc["live"] is None:
            doc["live"] = snap.live
        if snap.head_block is not None:
            doc["head_block"] = snap.head_block
            doc["head_age_s"] = round(snap.head_age_s(now) or 0.0, 1)
        doc["rpc"] = [
            {
                "host": r.host,
                "healthy": r.healthy,
                "latency_ms": r.latency_ms,
                "lagging": r.lagging,
                "breaker": r.breaker,
                **({"stream": r.stream} if r.stream else {}),  # only endpoints with a WebSocket
                "reason": r.reason,  # why it is not healthy ("" when it is), credential-free
            }
            for r in snap.rpc
        ]
        if any(r.stream for r in snap.rpc):  # how heads come in (endpoints with a WebSocket)
            live_stream = any(r.stream == "live" and r.healthy for r in snap.rpc)
            doc["chain_input"] = "streaming" if live_stream else "polling"
        doc["pools"] = max(doc["pools"], snap.n_pools)
        doc["opportunities"] = {
            "detected": max(doc["opportunities"]["detected"], snap.opportunities),
            "approved": max(doc["opportunities"]["approved"], snap.approved),
            "rejected": max(doc["opportunities"]["rejected"], snap.rejected),
        }
        if journal is None:
            doc["trades"] = dict(snap.trades)
        doc["breakers"] = dict(snap.breakers)
        risk = {k: None if v != v else v for k, v in snap.risk.items()}  # NaN: not measured
        doc["risk"] = {**risk, "pnl_session": snap.pnl_session, "pnl_today": snap.pnl_today}
        doc["pid"] = snap.pid or None  # 0: the writer stopped cleanly
        doc["updated_age_s"] = round(snap.age_s(now), 1)
        if snap.last_alert:
            doc["last_alert"] = {"at": snap.last_alert_at, "text": snap.last_alert}
    detail = doc["pnl_today_detail"]
    if journal is None and snap is not None:
        doc["pnl_today"] = snap.pnl_today
    else:
        doc["pnl_today"] = detail["live"] if doc["live"] else detail["paper"]
    return doc
