"""The production seams: the chain package's RpcPool as the client and the store task's
write-ahead protocol (durable commit acknowledged before the send) as the journal."""

from __future__ import annotations

import dataclasses

import pytest
import trio
from exec_helpers import (
    exec_config,
    make_candidate,
    order_for,
    plant,
    start_execution,
    store_write_ahead,
)

from appliance.chain import open_rpc_pool
from appliance.events import OrderApproved, TradeStatus, TradeUpdated
from appliance.store.journal import Journal
from appliance.store.schema import JOURNAL_NAME
from appliance.store.writer import Flush, run_store

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(180)]


async def test_trade_through_rpc_pool_and_store_task(chain, tmp_path, latch):
    dn, inv, _ = chain
    cfg = exec_config(dn, inv, data_dir=tmp_path / "data")
    cfg = dataclasses.replace(
        cfg, storage=dataclasses.replace(cfg.storage, runtime_dir=tmp_path / "run")
    )
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    before = await dn.balance("WETH", inv)
    orders_send, orders_recv = trio.open_memory_channel[OrderApproved](4)
    results_send, results_recv = trio.open_memory_channel[TradeUpdated](32)
    store_send, store_recv = trio.open_memory_channel(64)
    seen: list[TradeUpdated] = []
    async with trio.open_nursery() as nursery, open_rpc_pool(cfg.chain) as pool:
        await nursery.start(run_store, cfg, store_recv)
        await start_execution(
            nursery,
            cfg,
            pool,
            orders_recv,
            results_send,
            latch=latch,
            write_ahead=store_write_ahead(store_send.clone()),
        )
        order = order_for(cand)
        await orders_send.send(order)
        with trio.fail_after(30):
            async for update in results_recv:
                seen.append(update)
                await store_send.send(update)
                if update.status is TradeStatus.SENT:
                    await dn.mine()
                if update.status in (TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED):
                    break
        await orders_send.aclose()
        flush = Flush()
        await store_send.send(flush)
        await flush.wait()  # everything sent so far is committed
        nursery.cancel_scope.cancel()
    final = seen[-1]
    assert [u.status for u in seen] == [TradeStatus.SIGNED, TradeStatus.SENT, TradeStatus.MINED], (
        final.reason
    )
    after = await dn.balance("WETH", inv)
    with Journal(tmp_path / "data" / JOURNAL_NAME) as journal:
        row = journal.trade(order.order_id)
    assert row["status"] == "mined" and row["tx_hash"] == final.tx_hash
    assert int(row["realized_profit"]) == after - before == cand.gross_profit
