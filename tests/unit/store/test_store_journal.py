"""The journal: schema versions, exact amounts, write-ahead upserts, audit, retention, read-only."""

from __future__ import annotations

import sqlite3
import time

import pytest

from appliance.events import (
    AlertRaised,
    BlockSeen,
    ModeChanged,
    Priority,
    TradeStatus,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.store.errors import JournalCorrupt, JournalMissing, JournalTooNew
from appliance.store.journal import Journal
from appliance.store.reader import JournalReader
from appliance.store.schema import SCHEMA_VERSION

BIG = 2**112 - 1  # the largest Uniswap V2 reserve: beyond int64 and float precision


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as j:
        yield j


def _trade(order_id="o1", status=TradeStatus.SIGNED, **kw):
    return TradeUpdated(order_id, status, Mode.NORMAL, **kw)


def test_new_journal_is_wal_and_at_the_current_version(journal):
    assert journal.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (
        journal.conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        == SCHEMA_VERSION
    )
    assert journal.conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    assert journal.integrity_check() == "ok"
    assert {
        "blocks",
        "tokens",
        "pools",
        "reserves",
        "opportunities",
        "trades",
        "mode_changes",
        "alerts",
        "denied_tokens",
        "state",
    } <= set(journal.db.table_names())


def test_reopening_does_not_migrate_twice(tmp_path):
    Journal(tmp_path / "j.sqlite").close()
    with Journal(tmp_path / "j.sqlite") as j:
        assert j.conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(
            range(SCHEMA_VERSION)
        )


def test_a_newer_journal_refuses_to_open_with_one_line(tmp_path):
    path = tmp_path / "journal.sqlite"
    with Journal(path) as j:
        j.conn.execute(
            "INSERT INTO schema_version VALUES (?, 0, 'from the future')", (SCHEMA_VERSION + 1,)
        )
    for opener in (Journal, JournalReader):
        with pytest.raises(JournalTooNew) as info:
            opener(path)
        message = str(info.value)
        assert "\n" not in message and f"schema version {SCHEMA_VERSION + 1}" in message


def test_a_file_that_is_not_a_journal_is_refused(tmp_path):
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalCorrupt, match=r"journal\.sqlite"):
        Journal(path)
    with pytest.raises(JournalCorrupt):
        JournalReader(path)


def test_reader_never_creates_a_journal(tmp_path):
    with pytest.raises(JournalMissing, match="no journal"):
        JournalReader(tmp_path / "journal.sqlite")
    assert not (tmp_path / "journal.sqlite").exists()


def test_the_read_only_connection_cannot_write(journal):
    reader = JournalReader(journal.path)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.conn.execute(
            "INSERT INTO alerts (at, priority, key, text) VALUES (1, 'INFO', 'k', 't')"
        )
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.conn.execute("DELETE FROM trades")
    reader.close()


def test_wei_is_stored_exactly(journal):
    journal.add_reserves([(1, 1, str(BIG), str(BIG - 1))])
    journal.upsert_trade(_trade(amount_in=BIG, expected_profit=-(10**40)))
    assert journal.latest_reserves() == {1: (BIG, BIG - 1)}
    row = journal.trade("o1")
    assert row["amount_in"] == BIG and row["expected_profit"] == -(10**40)
    assert journal.conn.execute("SELECT typeof(reserve0) FROM reserves").fetchone()[0] == "text"


def test_trade_updates_keep_what_they_do_not_say(journal):
    journal.upsert_trade(
        _trade(tx_hash="0xaa", nonce=7, amount_in=10, expected_profit=3, block_sent=100)
    )
    journal.upsert_trade(
        _trade(
            status=TradeStatus.MINED,
            realized_profit=4,
            gas_used=150_000,
            gas_cost=1,
            block_mined=101,
        )
    )
    row = journal.trade("o1")
    assert row["status"] == "mined" and row["tx_hash"] == "0xaa" and row["nonce"] == 7
    assert row["block_sent"] == 100 and row["block_mined"] == 101 and row["realized_profit"] == 4
    assert journal.conn.execute("SELECT count(*) FROM trades").fetchone()[0] == 1


def test_pending_trades_and_max_nonce_for_restart_reconciliation(journal):
    journal.upsert_trade(_trade("a", TradeStatus.SIGNED, nonce=5))
    journal.upsert_trade(_trade("b", TradeStatus.SENT, nonce=6))
    journal.upsert_trade(_trade("c", TradeStatus.MINED, nonce=4))
    journal.upsert_trade(_trade("d", TradeStatus.PAPER))
    assert [t["order_id"] for t in journal.pending_trades()] == ["a", "b"]
    assert journal.max_nonce() == 6
    assert journal.trade_counts() == {
        "signed": 1,
        "sent": 1,
        "mined": 1,
        "reverted": 0,
        "dropped": 0,
        "paper": 1,
    }


def test_mode_changes_are_append_only(journal):
    journal.add_mode_change(ModeChanged(1.0, Mode.NORMAL, Mode.EMERGENCY, "pressed", "kill_switch"))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        journal.conn.execute("UPDATE mode_changes SET new = 'NORMAL'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        journal.conn.execute("DELETE FROM mode_changes")
    assert journal.last_mode() is Mode.EMERGENCY


def test_state_table_round_trips_json(journal):
    assert journal.load_state("risk.breakers") is None
    journal.save_state("risk.breakers", {"trade": "open", "failures": 3})
    journal.save_state("risk.breakers", {"trade": "closed", "failures": 0})
    assert journal.load_state("risk.breakers") == {"trade": "closed", "failures": 0}


def test_durable_transaction_rolls_back_on_error(journal):
    with pytest.raises(RuntimeError), journal.transaction(durable=True):
        journal.upsert_trade(_trade())
        raise RuntimeError("boom")
    assert journal.trade("o1") is None
    assert journal.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL stays set


def test_rollback_above_forgets_blocks_and_reserves_only(journal):
    journal.add_blocks(
        [(BlockSeen(n, f"0x{n:064x}", f"0x{n - 1:064x}", n, None), 0.0) for n in range(1, 11)]
    )
    journal.add_reserves([(n, 1, str(n), str(n)) for n in range(1, 11)])
    journal.upsert_trade(_trade(block_sent=9))
    journal.add_alert(AlertRaised(1.0, Priority.WARNING, "reorg", "reorg at 7"))
    assert journal.rollback_above(7) == 3
    assert journal.last_block() == 7
    assert journal.latest_reserves() == {1: (7, 7)}
    assert journal.trade("o1") is not None


def test_rollback_finds_the_tail_across_rowid_gaps(journal):
    journal.add_reserves([(n, p, "1", "1") for n in range(1, 201) for p in (1, 2, 3)])
    journal.conn.execute("DELETE FROM reserves WHERE rowid % 7 IN (1, 2, 5)")  # thinned history
    for ancestor in (150, 99, 3, 0):
        left = journal.conn.execute("SELECT count(*) FROM reserves WHERE block <= ?", (ancestor,))
        expected = left.fetchone()[0]
        journal.rollback_above(ancestor)
        assert journal.conn.execute("SELECT count(*) FROM reserves").fetchone()[0] == expected
    assert journal.rollback_above(0) == 0


def test_retention_thins_old_reserves_to_one_row_per_pool_per_minute(journal):
    now = 1_800_000_000
    old = now - 10 * 86400
    blocks = [
        (BlockSeen(n, f"0x{n:064x}", "0x0", old + 2 * n, None), 0.0) for n in range(1, 301)
    ]  # 10 minutes
    blocks += [
        (BlockSeen(1000 + n, f"0x{n:064x}", "0x0", now - 60 + n, None), 0.0) for n in range(10)
    ]
    journal.add_blocks(blocks)
    rows = [(n, pool, str(n), str(pool)) for n in range(1, 301) for pool in (1, 2)]
    rows += [(1000 + n, 1, str(n), "1") for n in range(10)]
    journal.add_reserves(rows)
    minute = {n: (old + 2 * n) // 60 for n in range(1, 301)}
    deleted = journal.apply_retention(7, now=now)
    kept = journal.conn.execute("SELECT block, pool_id FROM reserves WHERE block < 1000").fetchall()
    per_minute = {}
    for n, pool in kept:
        per_minute[(pool, minute[n])] = per_minute.get((pool, minute[n]), 0) + 1
    assert deleted > 0 and set(per_minute.values()) == {1}
    assert set(per_minute) == {(pool, m) for m in minute.values() for pool in (1, 2)}
    last_of_minute = {m: n for n, m in sorted(minute.items())}
    assert sorted(n for n, _p in kept) == sorted(2 * list(last_of_minute.values()))
    assert journal.conn.execute("SELECT count(*) FROM blocks").fetchone()[0] == 10
    # old opportunities go unless approved; recent ones stay
    opportunity = dict(
        block=1,
        base_token="0x",
        path="[]",
        amount_in="1",
        amount_out="2",
        gross_profit="1",
        net_profit="1",
        gas_estimate=1,
        gas_cost="0",
        reason="",
        detail="",
        order_id=None,
    )
    journal.add_opportunities(
        [
            {**opportunity, "id": 1, "at": old, "decision": "rejected"},
            {**opportunity, "id": 2, "at": old, "decision": "approved", "order_id": "o"},
            {**opportunity, "id": 3, "at": now, "decision": "rejected"},
        ]
    )
    assert journal.apply_retention(7, now=now) == 1
    ids = [r[0] for r in journal.conn.execute("SELECT id FROM opportunities ORDER BY id")]
    assert ids == [2, 3]
    assert (
        journal.conn.execute("SELECT count(*) FROM reserves WHERE block >= 1000").fetchone()[0]
        == 10
    )
    assert journal.apply_retention(7, now=now) == 0  # idempotent: the window moved on
    assert journal.integrity_check() == "ok"
    journal.vacuum_step()
    assert journal.checkpoint()[0] == 0


def test_reader_queries(journal):
    now = time.time()
    journal.upsert_trade(
        _trade("live", TradeStatus.MINED, realized_profit=100, gas_cost=30), now=now
    )
    journal.upsert_trade(_trade("rev", TradeStatus.REVERTED, gas_cost=20), now=now)
    journal.upsert_trade(_trade("pap", TradeStatus.PAPER, expected_profit=7), now=now)
    journal.upsert_trade(
        _trade("old", TradeStatus.MINED, realized_profit=999), now=now - 30 * 86400
    )
    journal.add_alert(AlertRaised(now, Priority.CRITICAL, "k", "kill switch", {"a": "b"}))
    journal.add_mode_change(ModeChanged(now, Mode.NORMAL, Mode.PAUSED, "breaker", "breaker"))
    with JournalReader(journal.path) as reader:
        assert reader.pnl_today(now=now) == {"live": 50, "paper": 7, "gas": 50}
        assert reader.pnl_days(7, now=now)["live"] == 50
        assert reader.equity_series()[-1][1] == 100 - 30 - 20 + 999
        assert reader.equity_series(paper=True) == [(pytest.approx(now), 7)]
        assert reader.alerts()[0]["extra"] == {"a": "b"}
        assert reader.mode_changes()[0]["new"] == "PAUSED" and reader.last_mode() is Mode.PAUSED
        assert [t["order_id"] for t in reader.latest_trades(2)] == ["pap", "rev"]
        assert reader.trade_counts()["mined"] == 2


WETH = "0x" + "11" * 20
USDC = "0x" + "22" * 20


def test_pnl_adds_up_value_ref_of_every_base_token_in_the_reference_token(journal):
    """A WETH trade and a USDC trade: P&L is the exact sum of their reference-token values, never
    WETH wei plus USDC wei; old rows count only when their unit is the reference token."""
    from appliance.events import TokenInfo
    from appliance.store import queries

    now = time.time()
    journal.upsert_tokens([TokenInfo(WETH, "WETH", 18), TokenInfo(USDC, "USDC", 6)])
    journal.save_state(queries.REFERENCE_KEY, WETH)
    weth_gas, usdc_gas = 150_000 * 2 * 10**9, 160_000 * 2 * 10**9
    weth_value = 3 * 10**15 - weth_gas  # exact: WETH is the reference token
    usdc_profit = 7_250_000  # 7.25 USDC
    usdc_value = usdc_profit * 10**18 // (3000 * 10**6) - usdc_gas  # at 3000 USDC per ETH
    journal.upsert_trade(_trade("w", TradeStatus.SIGNED, base_token=WETH), now=now)
    journal.upsert_trade(
        _trade(
            "w",
            TradeStatus.MINED,
            realized_profit=3 * 10**15,
            gas_cost=weth_gas,
            value_ref=weth_value,
        ),
        now=now + 1,
    )
    journal.upsert_trade(
        _trade(
            "u",
            TradeStatus.MINED,
            realized_profit=usdc_profit,
            gas_cost=usdc_gas,
            base_token=USDC,
            value_ref=usdc_value,
        ),
        now=now + 2,
    )
    # a USDC row without a value (no rate known): left out, never added as if it were WETH
    journal.upsert_trade(
        _trade("u2", TradeStatus.MINED, realized_profit=10**9, gas_cost=5, base_token=USDC),
        now=now + 3,
    )
    # an old WETH row without a value: the old arithmetic, profit - gas
    journal.upsert_trade(
        _trade("w2", TradeStatus.MINED, realized_profit=1000, gas_cost=400, base_token=WETH),
        now=now + 4,
    )
    # paper trades: their value_ref, net of the estimated gas
    journal.upsert_trade(
        _trade("pu", TradeStatus.PAPER, realized_profit=5, base_token=USDC, value_ref=-77),
        now=now + 5,
    )
    row = journal.trade("w")
    assert row["base_token"] == WETH and row["value_ref"] == weth_value  # coalesced, exact int
    expected_live = weth_value + usdc_value + (1000 - 400)
    with JournalReader(journal.path) as reader:
        assert reader.reference_token() == WETH and reader.reference_unit() == ("WETH", 18)
        pnl = reader.pnl_today(now=now + 10)
        assert pnl == {
            "live": expected_live,
            "paper": -77,
            "gas": weth_gas + usdc_gas + 5 + 400,
        }
        assert reader.pnl_days(7, now=now + 10)["live"] == expected_live
        series = [v for _, v in reader.equity_series()]
        assert series == [weth_value, weth_value + usdc_value, expected_live]
        assert reader.equity_series(paper=True)[-1][1] == -77
        # naming another reference token: WETH rows without a value drop out instead
        assert reader.pnl_today(now=now + 10, ref_token=USDC)["live"] == (
            weth_value + usdc_value + (10**9 - 5)
        )
