"""The breakers' figures rebuilt from the journal, after a damaged ``risk_state.json``.

Read-only (the store's reader API, run in a worker thread): today's net P&L (live and paper,
reference-token wei, since the configured daily reset) and how far the cumulative P&L of the
run's mode stands below its own peak (the drawdown baseline for the next valuation).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from appliance.risk.breakers import Rebuilt
from appliance.store.errors import StoreError
from appliance.store.reader import JournalReader, config_reference_token
from appliance.store.schema import JOURNAL_NAME

__all__ = ["rebuild_from_journal"]


def rebuild_from_journal(cfg: Any, now: float) -> tuple[Rebuilt | None, str | None]:
    """``(figures, None)``, or ``(None, reason)`` when the journal cannot give them. No journal
    at all is a first start: nothing was lost, the figures are zero."""
    path = Path(cfg.storage.data_dir) / JOURNAL_NAME
    if not path.exists():
        return Rebuilt(pnl_today=0), None
    ref = config_reference_token(cfg)
    try:
        with JournalReader(path) as journal:
            pnl = journal.pnl_today(
                reset_hour_utc=cfg.risk.daily_reset_hour_utc, now=now, ref_token=ref
            )
            paper = cfg.strategy.mode == "paper"
            series = journal.equity_series(paper=paper, ref_token=ref)
    except (StoreError, sqlite3.Error, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    peak = max((value for _, value in series), default=0)
    last = series[-1][1] if series else 0
    return Rebuilt(pnl_today=pnl["live"] + pnl["paper"], below_peak=max(0, peak) - last), None
