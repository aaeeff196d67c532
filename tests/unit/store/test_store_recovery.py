"""``arb-appliance journal recover|fresh|check`` on real journals with real damage.

The salvage is checked row by row against what was written: rows on undamaged pages all come
back, exact (wei as decimal strings), in rowid order; the damaged file is kept byte for byte; the
new journal passes ``integrity_check`` and opens with the current schema.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.events import BlockSeen, TradeStatus, TradeUpdated
from appliance.modes import Mode
from appliance.store.journal import Journal
from appliance.store.preflight import check_journal
from appliance.store.recovery import recover_journal
from appliance.store.schema import SCHEMA_VERSION

ARB = str(Path(sys.executable).with_name("arb-appliance"))
TRADES = 300


def build(path: Path) -> None:
    with Journal(path) as j, j.transaction():
        j.add_blocks(
            (BlockSeen(n, f"0x{n:064x}", f"0x{n - 1:064x}", 1_700_000_000 + n, 10**9 + n), 0.0)
            for n in range(1, 4001)
        )
        j.add_reserves(
            [(n, 1 + n % 7, str(10**30 + n), str(3 * 10**20 - n)) for n in range(1, 8001)]
        )
        for i in range(TRADES):
            j.upsert_trade(
                TradeUpdated(
                    f"order-{i:04d}",
                    TradeStatus.PAPER,
                    Mode.NORMAL,
                    amount_in=10**18 + i,
                    expected_profit=10**15 + i,
                    net_profit=-(10**14) - i,
                ),
                now=1_700_000_000.0 + i,
            )


def reserve_pages(path: Path) -> list[int]:
    """Leaf table pages (type 0x0D) holding reserve rows (their 10**30 decimal strings)."""
    raw = path.read_bytes()
    mark = str(10**30)[:20].encode()
    return [
        i // 4096 + 1
        for i in range(4096, len(raw), 4096)
        if raw[i] == 0x0D and mark in raw[i : i + 4096]
    ]


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def damaged(tmp_path: Path) -> tuple[Path, list[tuple], list[tuple]]:
    """A journal with random bytes over two leaf pages of ``reserves``; returns the rows."""
    path = tmp_path / "journal.sqlite"
    build(path)
    trades = rows(path, "SELECT * FROM trades ORDER BY rowid")
    reserves = rows(path, "SELECT rowid, * FROM reserves ORDER BY rowid")
    leaves = reserve_pages(path)
    raw = bytearray(path.read_bytes())
    rng = random.Random(11)
    for page in (leaves[3], leaves[10]):
        start = (page - 1) * 4096
        raw[start : start + 4096] = rng.randbytes(4096)
    path.write_bytes(bytes(raw))
    return path, trades, reserves


def _kept(path: Path) -> Path:
    (kept,) = [
        p
        for p in path.parent.iterdir()
        if p.name.startswith("journal.sqlite.damaged-") and not p.name.endswith(("-wal", "-shm"))
    ]
    return kept


def test_python_salvage_keeps_every_readable_row(damaged) -> None:
    path, trades, reserves = damaged
    before = path.read_bytes()
    with pytest.raises(Exception, match="journal damaged"):
        check_journal(path)

    done = recover_journal(path, use_cli=False)

    assert done.method == "python"
    assert _kept(path).read_bytes() == before
    assert check_journal(path) == "ok"
    assert rows(path, "SELECT * FROM trades ORDER BY rowid") == trades  # every trade, exact
    got = rows(path, "SELECT rowid, * FROM reserves ORDER BY rowid")
    assert set(got) <= set(reserves) and got == sorted(got)  # nothing invented, order kept
    lost = len(reserves) - len(got)
    assert 0 < lost <= done.lost["reserves"] <= 2 * 600  # at most the two pages' rows (+ margin)
    with Journal(path) as j:  # opens with the current schema; P&L sums exact
        assert j.migrate() == SCHEMA_VERSION
        total = sum(int(v) for (v,) in j.conn.execute("SELECT net_profit FROM trades"))
        assert total == sum(-(10**14) - i for i in range(TRADES))


def _cli_recover_works(tmp: Path) -> bool:
    """Debian's sqlite3 3.40 lacks the dbpage table ``.recover`` needs; probe a sound file."""
    cli = shutil.which("sqlite3")
    if cli is None:
        return False
    probe = tmp / "probe.sqlite"
    sqlite3.connect(probe).execute("CREATE TABLE t (x)").connection.close()
    proc = subprocess.run([cli, str(probe), ".recover"], capture_output=True, text=True)
    return proc.returncode == 0 and "CREATE TABLE" in proc.stdout


def test_sqlite3_recover_path(damaged, tmp_path: Path) -> None:
    if not _cli_recover_works(tmp_path):
        pytest.skip("the installed sqlite3 tool has no working .recover (no sqlite_dbpage)")
    path, trades, _reserves = damaged
    done = recover_journal(path, use_cli=True)
    assert done.method == "sqlite3 .recover"
    assert check_journal(path) == "ok"
    assert rows(path, "SELECT * FROM trades ORDER BY rowid") == trades


def test_recover_and_check_commands(damaged, tmp_path: Path) -> None:
    path, trades, _reserves = damaged
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[chain]\nchain_id = 1\nrpc = ["http://127.0.0.1:9"]\n'
        '[[dex]]\nname = "u"\nfactory = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"\n'
        '[tokens]\nbase = ["0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"]\n'
        f'[storage]\ndata_dir = "{path.parent}"\nruntime_dir = "{tmp_path / "run"}"\n'
    )
    check = subprocess.run(
        [ARB, "journal", "check", "--config", str(cfg)], capture_output=True, text=True
    )
    assert check.returncode == 2 and "journal damaged" in check.stderr
    proc = subprocess.run(
        [ARB, "journal", "recover", "--config", str(cfg)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert f"trades {TRADES}" in proc.stdout and "reserves" in proc.stdout
    assert str(_kept(path)) in proc.stdout
    check = subprocess.run(
        [ARB, "journal", "check", "--config", str(cfg)], capture_output=True, text=True
    )
    assert check.returncode == 0 and "journal ok" in check.stdout
    assert rows(path, "SELECT * FROM trades ORDER BY rowid") == trades


def test_a_sound_journal_is_ok_and_a_missing_one_absent(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    assert check_journal(path) == "absent"
    Journal(path).close()
    assert check_journal(path) == "ok"
    assert not list(tmp_path.glob(".journal.sqlite.creating*"))  # created beside, renamed in
