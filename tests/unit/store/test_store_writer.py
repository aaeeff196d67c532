"""The store task: batching, write-ahead, only-changed reserves, reorgs, restarts, state file."""

from __future__ import annotations

import math
import sqlite3
import time

import pytest
import trio

from appliance.config import StorageConfig
from appliance.events import (
    AlertRaised,
    BlockSeen,
    Candidate,
    CandidatesFound,
    EndpointHealth,
    LedsChanged,
    Leg,
    ModeChanged,
    OrderApproved,
    OrderRejected,
    PoolInfo,
    PoolsDiscovered,
    Priority,
    ReorgDetected,
    ReservesUpdated,
    RiskUpdated,
    RpcHealthChanged,
    TokenDenied,
    TokenInfo,
    TradeStatus,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.store.errors import StoreError, WriteAheadFailed
from appliance.store.journal import Journal
from appliance.store.statefile import StateReader
from appliance.store.writer import Flush, SaveState, SystemSampled, WriteAhead, run_store

WETH, USDC = "0x" + "11" * 20, "0x" + "22" * 20


def pool(i: int) -> str:
    return f"0x{0x1000 + i:040x}"


def block(n: int, salt: str = "a") -> BlockSeen:
    return BlockSeen(n, "0x" + salt * 64, "0x" + "0" * 64, 1_700_000_000 + 2 * n, 10**9)


def candidate(n: int, amount_in: int = 10**18) -> Candidate:
    legs = (Leg(pool(0), WETH, USDC, 30), Leg(pool(1), USDC, WETH, 30))
    return Candidate(
        n, legs, WETH, amount_in, amount_in + 10**16, 120_000, 10**15, (3000, amount_in + 10**16)
    )


@pytest.fixture
def cfg(tmp_path):
    return StorageConfig(
        data_dir=tmp_path / "data", runtime_dir=tmp_path / "run", commit_interval_s=60.0
    )


async def _with_store(cfg, body):
    send, recv = trio.open_memory_channel(100)
    async with trio.open_nursery() as nursery:
        handle = await nursery.start(run_store, cfg, recv)
        async with send:
            await body(send, handle)


async def _flush(send):
    request = Flush()
    await send.send(request)
    await request.wait()


async def test_records_become_rows_and_state(cfg):
    async def body(send, handle):
        await send.send(
            PoolsDiscovered(
                (TokenInfo(WETH, "WETH", 18), TokenInfo(USDC, "USDC", 6)),
                (
                    PoolInfo(pool(0), "uni", WETH, USDC, 30),
                    PoolInfo(pool(1), "sushi", WETH, USDC, 30),
                ),
            )
        )
        await send.send(block(1))
        await send.send(
            ReservesUpdated(
                1,
                "0x" + "a" * 64,
                {pool(0): (10**18, 3000 * 10**6), pool(1): (2 * 10**18, 6100 * 10**6)},
            )
        )
        await send.send(block(2))
        # pool 0 unchanged, pool 1 changed: only one new row
        await send.send(
            ReservesUpdated(
                2,
                "0x" + "a" * 64,
                {pool(0): (10**18, 3000 * 10**6), pool(1): (2 * 10**18, 6000 * 10**6)},
                full=True,
            )
        )
        c1, c2 = candidate(2), candidate(2, 5 * 10**17)
        await send.send(CandidatesFound(2, (c1, c2), time.monotonic()))
        await send.send(OrderApproved(c1, Mode.NORMAL, "order-1"))
        await send.send(OrderRejected(c2, "min_profit", "3 bps < 5 bps"))
        await send.send(
            TradeUpdated(
                "order-1",
                TradeStatus.PAPER,
                Mode.NORMAL,
                amount_in=10**18,
                expected_profit=9 * 10**15,
            )
        )
        await send.send(TokenDenied("0x" + "33" * 20, "fee-on-transfer"))
        await send.send(
            AlertRaised(time.time(), Priority.WARNING, "breaker:trade", "trade breaker open")
        )
        await send.send(
            RpcHealthChanged(
                (
                    EndpointHealth("127.0.0.1:8545", True, 3.25, head=2),
                    EndpointHealth("backup:443", False, 0.0, breaker="open"),
                )
            )
        )
        await send.send(LedsChanged("on", "off", "off"))
        await send.send(
            RiskUpdated({"trade": "closed", "daily_loss": "open"}, -5, 7, 100, regime="medium")
        )
        await send.send(SystemSampled(time.time(), 12.5, 50_000_000, 48.0))
        await send.send(SaveState("risk.custom", {"x": 1}))
        await _flush(send)
        snap = StateReader(handle.state_path).snapshot()
        assert (
            snap.head_block == 2 and snap.n_pools == 2 and snap.n_tokens == 2 and snap.n_denied == 1
        )
        assert snap.prices[0] == pytest.approx(3000.0) and snap.prices[1] == pytest.approx(3000.0)
        assert (snap.opportunities, snap.approved, snap.rejected) == (2, 1, 1)
        assert snap.trades["paper"] == 1
        assert snap.rpc[0].host == "127.0.0.1:8545" and snap.rpc[1].breaker == "open"
        assert snap.leds == {"green": "on", "yellow": "off", "red": "off"}
        assert snap.breakers == {"trade": "closed", "daily_loss": "open"} and snap.pnl_today == -5
        assert snap.risk["regime"] == "medium" and snap.cpu_pct == 12.5 and snap.temp_c == 48.0
        assert snap.last_alert == "trade breaker open"

    await _with_store(cfg, body)
    with Journal(cfg.data_dir / "journal.sqlite") as j:
        q = j.conn.execute
        assert q("SELECT count(*) FROM reserves").fetchone()[0] == 3
        assert q(
            "SELECT block, pool_id, reserve1 FROM reserves ORDER BY rowid DESC LIMIT 1"
        ).fetchone() == (2, 2, "6000000000")
        decisions = q(
            "SELECT decision, reason, detail, order_id FROM opportunities ORDER BY id"
        ).fetchall()
        assert decisions == [
            ("approved", "", "", "order-1"),
            ("rejected", "min_profit", "3 bps < 5 bps", None),
        ]
        assert j.trade("order-1")["opportunity_id"] == 1
        assert j.denied_tokens() == {"0x" + "33" * 20: "fee-on-transfer"}
        assert j.load_state("risk.custom") == {"x": 1}
        assert j.load_state("risk.last")["breakers"]["daily_loss"] == "open"
        assert q("SELECT count(*) FROM alerts").fetchone()[0] == 1


async def test_write_ahead_is_committed_before_the_event_is_set(cfg):
    async def body(send, handle):
        await send.send(block(1))
        request = WriteAhead(
            TradeUpdated("o-1", TradeStatus.SIGNED, Mode.NORMAL, tx_hash="0x" + "b" * 64, nonce=3)
        )
        await send.send(request)
        await request.wait()
        # a second, independent connection sees the row at once (committed, not just queued)
        other = sqlite3.connect(cfg.data_dir / "journal.sqlite")
        assert other.execute(
            "SELECT status, nonce FROM trades WHERE order_id = 'o-1'"
        ).fetchone() == ("signed", 3)
        # the bulk rows wait for the periodic commit: a commit per trade must not rewrite the
        # bulk tables' last pages each time (SD writes)
        assert other.execute("SELECT count(*) FROM blocks").fetchone()[0] == 0
        await _flush(send)
        assert other.execute("SELECT count(*) FROM blocks").fetchone()[0] == 1
        other.close()

    await _with_store(cfg, body)


def test_a_final_status_reported_after_its_write_ahead_is_not_committed_again(tmp_path):
    """The executor writes a final status ahead, then reports the same row (pipeline.finish):
    the repeat needs no row and no commit; another row of the order still does."""
    from appliance.store.recorder import Recorder
    from appliance.store.statefile import StateWriter

    with Journal(tmp_path / "j.sqlite") as j, StateWriter(tmp_path / "state.bin") as state:
        rec = Recorder(j, state)
        final = TradeUpdated("o-1", TradeStatus.PAPER, Mode.NORMAL, realized_profit=7)
        rec.handle(WriteAhead(final))
        rec.commit(rec.take_batch(urgent_only=True))
        rec.handle(final)  # the report of the row just committed
        assert len(rec.batch) == 0 and not rec.batch.urgent
        assert rec.live.trades["paper"] == 1
        later = TradeUpdated("o-1", TradeStatus.PAPER, Mode.NORMAL, realized_profit=8)
        rec.handle(later)  # a different row of the same order is journaled, at once
        assert len(rec.batch) == 1 and rec.batch.urgent
        rec.commit(rec.take_batch(urgent_only=True))
        assert int(j.trade("o-1")["realized_profit"]) == 8
        assert rec.live.trades["paper"] == 1


async def test_mode_change_is_committed_without_waiting_for_the_interval(cfg):
    async def body(send, handle):
        await send.send(
            ModeChanged(time.time(), Mode.NORMAL, Mode.EMERGENCY, "pressed", "kill_switch")
        )
        other = sqlite3.connect(cfg.data_dir / "journal.sqlite")
        with trio.fail_after(10):
            while other.execute("SELECT count(*) FROM mode_changes").fetchone()[0] == 0:
                await trio.sleep(0.01)
        other.close()
        # the state file follows the commit (published right after it, never before): wait
        with trio.fail_after(10):
            while not StateReader(handle.state_path).snapshot().kill_switch:
                await trio.sleep(0.01)

    await _with_store(cfg, body)


async def test_closing_the_channel_commits_everything(cfg):
    async def body(send, handle):
        for n in range(1, 51):
            await send.send(block(n))

    await _with_store(cfg, body)  # commit_interval_s = 60: only the close commits
    with Journal(cfg.data_dir / "journal.sqlite") as j:
        assert j.last_block() == 50


async def test_reorg_deletes_rows_above_the_ancestor(cfg):
    async def body(send, handle):
        for n in range(1, 6):
            await send.send(block(n))
            await send.send(ReservesUpdated(n, "0x", {pool(0): (n, n)}))
        await _flush(send)
        await send.send(block(6))
        await send.send(ReservesUpdated(6, "0x", {pool(0): (6, 6)}))  # pending, then orphaned
        await send.send(ReorgDetected(3, 6, block(4, "c")))
        await send.send(ReservesUpdated(4, "0x", {pool(0): (40, 40)}))
        await _flush(send)
        assert StateReader(handle.state_path).snapshot().head_block == 4

    await _with_store(cfg, body)
    with Journal(cfg.data_dir / "journal.sqlite") as j:
        assert j.conn.execute(
            "SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1"
        ).fetchone() == (4, "0x" + "c" * 64)
        assert j.conn.execute("SELECT block, reserve0 FROM reserves ORDER BY rowid").fetchall() == [
            (1, "1"),
            (2, "2"),
            (3, "3"),
            (4, "40"),
        ]


async def test_a_restart_resumes_counts_and_skips_replayed_blocks(cfg):
    async def first(send, handle):
        await send.send(
            PoolsDiscovered(
                (TokenInfo(WETH, "WETH", 18), TokenInfo(USDC, "USDC", 6)),
                (PoolInfo(pool(0), "uni", WETH, USDC, 30),),
            )
        )
        for n in range(1, 11):
            await send.send(block(n))
            await send.send(ReservesUpdated(n, "0x", {pool(0): (10**18, n * 10**6)}))
        await send.send(CandidatesFound(10, (candidate(10),), 0.0))
        await send.send(TradeUpdated("o", TradeStatus.SENT, Mode.NORMAL, nonce=1))
        await send.send(
            ModeChanged(time.time(), Mode.NORMAL, Mode.EMERGENCY, "pressed", "kill_switch")
        )

    async def second(send, handle):
        snap = StateReader(handle.state_path).snapshot()
        assert snap.mode is Mode.EMERGENCY and snap.kill_switch and snap.head_block == 10
        assert snap.trades["sent"] == 1 and snap.opportunities == 1
        assert snap.prices[0] == pytest.approx(10.0)  # 1 WETH : 10 USDC
        for n in range(8, 13):  # the follower replays a few blocks
            await send.send(block(n))
            await send.send(ReservesUpdated(n, "0x", {pool(0): (10**18, n * 10**6)}))
        await send.send(CandidatesFound(9, (candidate(9),), 0.0))
        await send.send(TradeUpdated("o", TradeStatus.MINED, Mode.NORMAL, realized_profit=5))
        await _flush(send)
        snap = StateReader(handle.state_path).snapshot()
        assert snap.trades["sent"] == 0 and snap.trades["mined"] == 1

    await _with_store(cfg, first)
    await _with_store(cfg, second)
    with Journal(cfg.data_dir / "journal.sqlite") as j:
        dupes = j.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM reserves GROUP BY block, pool_id HAVING count(*) > 1)"
        ).fetchone()[0]
        assert dupes == 0
        assert j.conn.execute("SELECT count(*) FROM reserves").fetchone()[0] == 12
        assert j.conn.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 1
        assert j.last_mode() is Mode.EMERGENCY


async def test_a_failed_commit_fails_the_write_ahead_and_the_task(cfg):
    async def body(send, handle):
        other = sqlite3.connect(cfg.data_dir / "journal.sqlite")
        other.execute("DROP TABLE trades")  # sabotage: the next trade row cannot be written
        other.close()
        request = WriteAhead(TradeUpdated("o", TradeStatus.SIGNED, Mode.NORMAL))
        await send.send(request)
        with pytest.raises(WriteAheadFailed, match="'o' not journaled"):
            await request.wait()

    with pytest.raises(BaseExceptionGroup) as info:
        await _with_store(cfg, body)
    assert info.group_contains(StoreError, match="journal commit failed")


def test_prices_are_nan_until_decimals_are_known(tmp_path):
    cfg = StorageConfig(data_dir=tmp_path / "d", runtime_dir=tmp_path / "r")

    async def body(send, handle):
        await send.send(ReservesUpdated(1, "0x", {pool(5): (1, 2)}))
        await _flush(send)
        snap = StateReader(handle.state_path).snapshot()
        assert snap.pool_count == 1 and math.isnan(snap.prices[0])

    trio.run(_with_store, cfg, body)


async def test_a_clean_stop_says_not_running(cfg):
    from appliance.store.reader import status_document

    async def body(send, handle):
        await send.send(block(1))
        await _flush(send)
        assert status_document(cfg)["supervisor"] == "running"

    await _with_store(cfg, body)
    doc = status_document(cfg)
    assert doc["supervisor"] == "not running" and doc["head_block"] == 1


async def test_the_store_records_the_reference_token_for_config_less_readers(cfg):
    from types import SimpleNamespace

    from appliance.store import queries

    app = SimpleNamespace(  # the parts of an AppConfig run_store reads
        storage=cfg,
        live=False,
        tokens=SimpleNamespace(base=(USDC, WETH)),
        strategy=SimpleNamespace(native_token=WETH),
    )

    async def body(send, handle):
        await send.send(block(1))

    await _with_store(app, body)
    with Journal(cfg.data_dir / "journal.sqlite") as j:
        assert j.load_state(queries.REFERENCE_KEY) == WETH  # native_token wins over base[0]
        assert queries.reference_token(j.conn) == WETH


def test_a_refused_write_ahead_s_repeat_is_journaled(tmp_path):
    """Disk full: the refused write-ahead row is forgotten, so its repeat is a new row."""
    from appliance.store.recorder import Recorder
    from appliance.store.statefile import StateWriter

    with Journal(tmp_path / "j.sqlite") as j, StateWriter(tmp_path / "state.bin") as state:
        rec = Recorder(j, state)
        final = TradeUpdated("o-1", TradeStatus.PAPER, Mode.NORMAL, realized_profit=7)
        rec.handle(WriteAhead(final))
        batch = rec.take_batch(urgent_only=True)
        rec.forget_trade(batch, final)  # what the committer does when the disk is full
        rec.handle(final)
        assert [row[0] for row in rec.batch.trades] == [final] and rec.batch.urgent


@pytest.mark.parametrize("live", [False, True])
def test_trade_rows_commit_at_once_fsynced_only_in_live_mode(tmp_path, live):
    """Paper rows broadcast nothing: committed at once (kill -9 safe) without an fsync; a live
    row is fsynced (durable before its transaction is sent); a mode change always is."""
    from appliance.store.recorder import Recorder
    from appliance.store.statefile import StateWriter

    with Journal(tmp_path / "j.sqlite") as j, StateWriter(tmp_path / "state.bin") as state:
        rec = Recorder(j, state, live=live)
        rec.handle(WriteAhead(TradeUpdated("o-1", TradeStatus.SIGNED, Mode.NORMAL, nonce=1)))
        batch = rec.take_batch(urgent_only=True)
        assert batch.urgent and batch.durable is live
        before = dict(j.commits)  # the migrations' commits
        rec.commit(batch)
        assert j.commits["durable"] - before["durable"] == int(live)
        assert j.commits["normal"] - before["normal"] == int(not live)
        rec.handle(ModeChanged(time.time(), Mode.NORMAL, Mode.PAUSED, "x", "supervisor"))
        batch = rec.take_batch(urgent_only=True)
        assert batch.urgent and batch.durable


def test_a_new_journal_uses_small_pages_and_an_old_one_keeps_its_own(tmp_path):
    """1 KiB pages for a new journal (each commit rewrites a page per table it touches); a
    journal created with 4 KiB pages is opened as it is, never rewritten."""
    from appliance.store.journal import PAGE_SIZE

    with Journal(tmp_path / "new.sqlite") as j:
        assert j.conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 1024
        assert j.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 4096
    old = sqlite3.connect(tmp_path / "old.sqlite")
    old.execute("PRAGMA page_size = 4096")
    old.execute("CREATE TABLE t (a)")
    old.close()
    with Journal(tmp_path / "old.sqlite") as j:
        assert j.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert j.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1024
        assert j.migrate() > 0


async def test_discovered_tokens_and_pools_are_committed_without_waiting_for_the_interval(cfg):
    """`status` and the screen name tokens from the journal: a discovery is not held for the
    periodic commit (the bulk rows are: the block below waits)."""

    async def body(send, handle):
        await send.send(block(1))
        await send.send(
            PoolsDiscovered(
                (TokenInfo(WETH, "WETH", 18), TokenInfo(USDC, "USDC", 6)),
                (PoolInfo(pool(0), "uni", WETH, USDC, 30),),
            )
        )
        await send.send(TokenDenied("0x" + "33" * 20, "fee-on-transfer"))
        other = sqlite3.connect(cfg.data_dir / "journal.sqlite")
        try:
            with trio.fail_after(30):  # committed at once, not at the 60 s interval
                while other.execute("SELECT count(*) FROM denied_tokens").fetchone()[0] == 0:
                    await trio.sleep(0.01)
            assert other.execute("SELECT count(*) FROM tokens").fetchone()[0] == 2
            assert other.execute("SELECT count(*) FROM pools").fetchone()[0] == 1
            assert other.execute("SELECT count(*) FROM blocks").fetchone()[0] == 0
        finally:
            other.close()

    await _with_store(cfg, body)
