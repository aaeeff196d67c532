"""The journal's swaps (``swap_blocks``, a compact row per block), written by the store's own
Recorder from ``SwapsSeen``: exact round trip of compact rows, reorg safety (pending and committed rows), restart replays skipped,
and the retention bounded per commit (real SQLite files under tmp_path)."""

from __future__ import annotations

import pytest

from appliance.events import (
    BlockSeen,
    PoolInfo,
    PoolsDiscovered,
    ReorgDetected,
    SwapRecord,
    SwapsSeen,
    TokenInfo,
)
from appliance.store.intel_queries import PRUNE_CHUNK, latest_swaps
from appliance.store.journal import Journal
from appliance.store.recorder import Recorder
from appliance.store.statefile import StateWriter
from appliance.store.swap_codec import decode_swaps, encode_swaps

WETH, USDC = "0x" + "11" * 20, "0x" + "22" * 20
POOL, OTHER = "0x" + "a1" * 20, "0x" + "a2" * 20
ROUTER, ME = "0x" + "7a" * 20, "0x" + "c1" * 20


def block(n: int, parent: int | None = None) -> BlockSeen:
    p = n - 1 if parent is None else parent
    return BlockSeen(n, f"0x{n:064x}", f"0x{p:064x}", 1_700_000_000 + 2 * n, 10**9)


def swaps(n: int, count: int = 2, *, pool: str = POOL) -> SwapsSeen:
    return SwapsSeen(
        n,
        tuple(
            SwapRecord(
                tx_hash=f"0x{n:032x}{i:032x}",
                log_index=i,
                pool=pool,
                sender=ROUTER,
                recipient=ME,
                zero_for_one=i % 2 == 0,
                amount_in=2**200 + i,  # beyond 64 bits: stored exactly
                amount_out=10**18 - i,
                tx_sender=None if i == 1 else ME,
            )
            for i in range(count)
        ),
    )


@pytest.fixture
def recorder(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as j, StateWriter(tmp_path / "state.bin") as state:
        rec = Recorder(j, state, swaps_retention_blocks=10, swaps_commit_s=0)
        rec.handle(
            PoolsDiscovered(
                (TokenInfo(WETH, "WETH", 18), TokenInfo(USDC, "USDC", 6)),
                (PoolInfo(POOL, "uni", WETH, USDC, 30),),
            )
        )
        rec.commit(rec.take_batch())
        yield rec


def rows(rec: Recorder) -> list[tuple[int, int]]:
    return [
        (b, s.log_index)
        for b, blob in rec.journal.conn.execute(
            "SELECT block, swaps FROM swap_blocks ORDER BY block"
        )
        for s in decode_swaps(blob)
    ]


def test_swaps_round_trip_exactly_from_compact_rows(recorder):
    recorder.handle(swaps(5))
    recorder.handle(swaps(6, 1, pool=OTHER))  # a pool the store has not heard of: a placeholder
    recorder.commit(recorder.take_batch())
    newest, second, first = latest_swaps(recorder.journal.conn)
    assert newest["pool"] == OTHER and newest["token_in"] is None  # tokens not known yet
    assert first == {
        "block": 5,
        "tx_hash": f"0x{5:032x}{0:032x}",
        "log_index": 0,
        "pool": POOL,
        "token_in": WETH,
        "token_out": USDC,
        "amount_in": 2**200,
        "amount_out": 10**18,
        "sender": ROUTER,
        "recipient": ME,
        "tx_sender": ME,
    }
    assert (second["token_in"], second["tx_sender"], second["amount_out"]) == (
        USDC,
        None,
        10**18 - 1,
    )
    (size,) = recorder.journal.conn.execute(
        "SELECT length(swaps) FROM swap_blocks WHERE block = 5"
    ).fetchone()
    # raw bytes, each address once: version, 2 addresses, 2 transactions (hash, tx.from), then
    # per swap 6 one-byte varints, 2**200 in 1 + 26 bytes and 10**18 in 1 + 8 (old rows: ~160 B)
    assert size == 1 + (1 + 2 * 20) + (1 + 2 * (32 + 1)) + 1 + 2 * (6 + 27 + 9)


def test_a_reorg_forgets_pending_and_committed_swaps_of_replaced_blocks(recorder):
    for n in (10, 11, 12):
        recorder.handle(block(n))
        recorder.handle(swaps(n))
    recorder.commit(recorder.take_batch())
    recorder.handle(block(13))
    recorder.handle(swaps(13))  # pending in the batch when the reorg comes
    recorder.handle(ReorgDetected(10, 13, block(11, parent=10)))
    recorder.handle(swaps(11, 1))  # the replacement block's swaps
    recorder.commit(recorder.take_batch())
    assert rows(recorder) == [(10, 0), (10, 1), (11, 0)]


def test_a_replayed_block_after_a_restart_is_not_stored_twice(tmp_path, recorder):
    recorder.handle(block(20))
    recorder.handle(swaps(20))
    recorder.commit(recorder.take_batch())
    again = Recorder(
        recorder.journal, recorder.state_writer, swaps_retention_blocks=10, swaps_commit_s=0
    )
    again.handle(swaps(20))  # the head follower replays the last journaled block
    again.handle(block(21))
    again.handle(swaps(21, 1))
    again.commit(again.take_batch())
    assert rows(again) == [(20, 0), (20, 1), (21, 0)]


def test_retention_keeps_the_last_blocks_and_prunes_a_bounded_chunk_per_commit(recorder):
    for n in range(1, 31):
        recorder.handle(swaps(n, 3))
        recorder.commit(recorder.take_batch())  # a commit per block
    assert {b for b, _ in rows(recorder)} == set(range(21, 31))  # 10 blocks kept
    # a backlog (retention shortened, a long stop): drained a chunk per commit, never at once
    conn = recorder.journal.conn
    conn.execute("DELETE FROM swap_blocks")
    conn.executemany(
        "INSERT INTO swap_blocks VALUES (?, 1, ?)",
        [(100 + i, encode_swaps(swaps(100 + i, 1).swaps, (1,))) for i in range(250)],
    )
    counts = []
    for n in range(1000, 1004):
        recorder.handle(swaps(n, 3))
        recorder.commit(recorder.take_batch())  # each adds one block's row
        counts.append(conn.execute("SELECT count(*) FROM swap_blocks").fetchone()[0])
    assert counts == [
        250 - PRUNE_CHUNK + 1,
        250 - 2 * PRUNE_CHUNK + 2,
        3,  # the rest of the backlog
        4,
    ]


async def test_the_store_task_applies_the_configured_retention(tmp_path):
    import sqlite3

    import trio

    from appliance.config import StorageConfig
    from appliance.store.writer import run_store

    cfg = StorageConfig(
        data_dir=tmp_path / "data",
        runtime_dir=tmp_path / "run",
        commit_interval_s=0.0,  # a commit per record: the pruning runs each time
        swaps_retention_blocks=12,
    )
    send, recv = trio.open_memory_channel(100)
    async with trio.open_nursery() as nursery:
        await nursery.start(run_store, cfg, recv)
        async with send:
            for n in range(1, 41):
                await send.send(swaps(n))
    db = sqlite3.connect(cfg.data_dir / "journal.sqlite")
    try:
        kept = [b for (b,) in db.execute("SELECT block FROM swap_blocks ORDER BY block")]
    finally:
        db.close()
    assert kept == list(range(29, 41))


def test_a_retention_of_zero_journals_no_swaps(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as j, StateWriter(tmp_path / "state.bin") as state:
        rec = Recorder(j, state, swaps_retention_blocks=0)
        rec.handle(swaps(5))
        rec.commit(rec.take_batch())
        assert rows(rec) == []


def test_swaps_are_held_out_of_the_trades_immediate_commits_and_written_at_a_stop(recorder):
    from appliance.events import TradeStatus, TradeUpdated
    from appliance.modes import Mode

    recorder.swaps_commit_s, recorder.swaps_retention_blocks = 60.0, 1000
    t0 = 1_700_000_000.0
    for n in range(1, 32):  # a block every 2 s, a paper trade (committed at once) after each
        now = t0 + 2 * n
        recorder.handle(swaps(n, 1), now=now)
        recorder.handle(TradeUpdated(f"o{n}", TradeStatus.PAPER, Mode.NORMAL), now=now)
        recorder.commit(recorder.take_batch(now=now))
        if n <= 30:  # less than 60 s after the first: still held
            assert rows(recorder) == [], n
    assert [b for b, _ in rows(recorder)] == list(range(1, 32))  # 60 s: one commit wrote all
    recorder.handle(swaps(32, 1), now=t0 + 64)
    recorder.commit(recorder.take_batch(now=t0 + 64))
    assert len(rows(recorder)) == 31
    recorder.release_swaps()  # what the store task does before its last commit
    recorder.commit(recorder.take_batch(now=t0 + 64))
    assert len(rows(recorder)) == 32


def test_an_arbitrage_skips_a_trades_immediate_commit_and_rides_the_next_regular_one(recorder):
    from appliance.events import ArbitrageSeen, MarketIntelSeen, TradeStatus, TradeUpdated
    from appliance.modes import Mode

    def arbitrages():
        return recorder.journal.conn.execute("SELECT block FROM arbitrages").fetchall()

    t0 = 1_700_000_000.0
    seen = ArbitrageSeen(7, "0x" + "ab" * 32, "arbitrage", ME, None, WETH, 5, 1, (POOL, OTHER))
    recorder.handle(MarketIntelSeen(7, (seen,), 0), now=t0)
    recorder.handle(TradeUpdated("o1", TradeStatus.PAPER, Mode.NORMAL), now=t0)
    recorder.commit(recorder.take_batch(now=t0 + 1, urgent_only=True))  # the trade only
    assert arbitrages() == []
    recorder.handle(block(8), now=t0 + 2)
    recorder.commit(recorder.take_batch(now=t0 + 2))  # a regular commit
    assert arbitrages() == [(7,)]
