"""What ``competitors`` and ``why`` share: the read-only journal, durations, amounts for people."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

from appliance.errors import UserError

__all__ = ["DEFAULT_SINCE", "amount", "open_intel", "parse_duration", "short"]

DEFAULT_SINCE = "24h"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_duration(text: str) -> float:
    """``90s``, ``30m``, ``1h``, ``7d`` -> seconds; a user error names the bad value."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text or "")
    if not match or float(match.group(1)) <= 0:
        raise UserError(f"--since takes a duration such as 1h, 24h or 7d, not {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def short(address: str | None) -> str:
    if not address:
        return "-"
    return address if len(address) <= 14 else f"{address[:6]}..{address[-4:]}"


def amount(wei: int, token: str, tokens: dict[str, tuple[str, int]]) -> str:
    symbol, decimals = tokens.get((token or "").lower(), (short(token), 18))
    return f"{wei / 10**decimals:,.6f} {symbol}"


@contextlib.contextmanager
def open_intel(config: Path) -> Iterator[tuple[object, dict[str, tuple[str, int]]]]:
    """The journal of ``config``, read-only, with its tokens (address -> symbol, decimals)."""
    from appliance.config import load_config
    from appliance.store.errors import StoreError
    from appliance.store.journal import JOURNAL_NAME
    from appliance.store.reader import JournalReader

    cfg = load_config(config, check_key=False)
    try:
        reader = JournalReader(cfg.storage.data_dir / JOURNAL_NAME)
    except StoreError as exc:  # missing, damaged or too new: the owner's to fix, in one line
        raise UserError(str(exc)) from None
    with reader:
        conn = reader.conn
        has = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'arbitrages'"
        ).fetchone()
        if not has:
            raise UserError(
                f"{reader.path} holds no market intelligence yet: start the supervisor once "
                "(`arb-appliance run`) to upgrade the journal"
            )
        tokens = {
            a.lower(): (s, int(d))
            for a, s, d in conn.execute("SELECT address, symbol, decimals FROM tokens")
        }
        yield conn, tokens
