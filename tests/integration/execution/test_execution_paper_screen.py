"""The screen never says a paper trade is done before the journal holds it (issue 23).

The store task's write-ahead path, with the journal's commit held back by a real SQLite write
lock taken by another connection (as a reader-turned-writer or a slow SD card would): while the
WriteAhead of a paper fill waits for its durable commit, the state file the screen reads must
not count the fill yet; once the lock is released the commit lands and the count follows.
"""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest
import trio

from appliance.config import load_config
from appliance.events import TradeStatus, TradeUpdated
from appliance.modes import Mode
from appliance.store.schema import JOURNAL_NAME
from appliance.store.statefile import STATE_FILE_NAME, StateReader
from appliance.store.writer import Flush, WriteAhead, run_store

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(60)]


async def test_the_state_file_counts_a_paper_fill_only_after_its_commit(exec_net, tmp_path):
    dn, _, _ = exec_net
    cfg = load_config(dn.config_path)
    cfg = dataclasses.replace(
        cfg,
        storage=dataclasses.replace(
            cfg.storage, data_dir=tmp_path / "data", runtime_dir=tmp_path / "run"
        ),
    )
    fill = TradeUpdated(
        order_id="paper-1",
        status=TradeStatus.PAPER,
        mode=Mode.NORMAL,
        amount_in=1,
        realized_profit=2,
    )
    send, recv = trio.open_memory_channel(16)
    async with trio.open_nursery() as nursery:
        await nursery.start(run_store, cfg, recv)
        flush = Flush()
        await send.send(flush)
        await flush.wait()  # the journal exists and is idle
        blocker = sqlite3.connect(tmp_path / "data" / JOURNAL_NAME, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # the write lock: the store's commit must wait
        request = WriteAhead(fill)
        await send.send(request)
        await trio.sleep(0.5)  # time for the store to take the request (and to publish, if it did)
        with StateReader(tmp_path / "run" / STATE_FILE_NAME) as reader:
            during = reader.snapshot(prices=False).trades.get("paper", 0)
        blocker.execute("ROLLBACK")
        blocker.close()
        with trio.fail_after(20):
            await request.wait()
        with StateReader(tmp_path / "run" / STATE_FILE_NAME) as reader:
            after = reader.snapshot(prices=False).trades.get("paper", 0)
        await send.aclose()
    assert during == 0, "the screen counted the paper fill before the journal held it"
    assert after == 1
