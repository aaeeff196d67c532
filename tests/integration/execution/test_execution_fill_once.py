"""Never count a fill twice (#23), on the execution/store side.

A live trade on real Anvil is mined; its final write-ahead fails (``WriteAheadFailed``, what the
store raises when the journal cannot commit — a full disk) so the journal still says ``sent``.
The execution task is then restarted, as the supervisor's supervision does after a crash: it
re-reads the journal's unfinished trades and reconciles this one from the chain, and the same
receipt is reported a second time. Both reports reach the real consumers — the risk engine
(P&L and breakers), the metrics and the store's recorder (journal, state-file counts): the fill
must count once in each.
"""

from __future__ import annotations

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, order_for, plant

from appliance.events import OrderApproved, TradeStatus, TradeUpdated
from appliance.metrics import Metrics
from appliance.risk.engine import RiskEngine
from appliance.store.errors import WriteAheadFailed
from appliance.store.recorder import Recorder
from appliance.store.statefile import StateWriter

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(120)]

FINAL = {TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED}


class LostFinalRow(Harness):
    """The final row of a trade cannot be journaled the first time (the store's commit fails),
    and neither can the update the store would have recorded from the results channel."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.failed_once = False

    async def write_ahead(self, update: TradeUpdated) -> None:
        if update.status in FINAL and not self.failed_once:
            self.failed_once = True
            raise WriteAheadFailed(
                f"trade {update.order_id!r} not journaled: database or disk full"
            )
        await super().write_ahead(update)

    async def reported(self, statuses: set[TradeStatus]) -> TradeUpdated:
        """The next update in ``statuses``; the store journals the others (its disk is fine
        for them), not the final one."""
        with trio.fail_after(30):
            while True:
                update = await self.results_recv.receive()
                self.updates.append(update)
                if update.status not in FINAL:
                    self.journal.upsert_trade(update)
                if update.status in statuses:
                    return update


async def test_a_receipt_reported_twice_counts_once_in_pnl_journal_and_metrics(
    chain, journal, latch, tmp_path
):
    dn, inv, _ = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    cfg = exec_config(dn, inv)
    h = LostFinalRow(cfg, journal, latch)
    order = order_for(cand)

    async with trio.open_nursery() as nursery:  # the first run: sent, mined, final row lost
        await h.start(nursery)
        await h.orders_send.send(order)
        sent = await h.reported({TradeStatus.SENT, *FINAL})
        assert sent.status is TradeStatus.SENT, sent.reason
        await dn.mine()
        first = await h.reported(FINAL)
        nursery.cancel_scope.cancel()  # the execution task goes down (a crash, a restart)
    assert first.status is TradeStatus.MINED and h.failed_once
    assert journal.trade(order.order_id)["status"] == "sent"  # what the restart will read

    # the restart reconciles it from the chain (new channel ends: a task closes its own)
    h.orders_send, h._orders_recv = trio.open_memory_channel[OrderApproved](8)
    h._results_send, h.results_recv = trio.open_memory_channel[TradeUpdated](64)
    async with trio.open_nursery() as nursery:
        await h.start(nursery, pending=journal.pending_trades)
        second = await h.reported(FINAL)
        nursery.cancel_scope.cancel()
    assert second.status is TradeStatus.MINED and second.tx_hash == first.tx_hash
    assert second.realized_profit == first.realized_profit  # the same fill, seen twice

    # the consumers, fed everything the two runs reported, in order
    risk = RiskEngine(cfg.risk, latch=latch, inventory={})
    metrics = Metrics(process=False)
    with StateWriter(tmp_path / "state.bin") as state:
        recorder = Recorder(journal, state, live=True)
        for update in h.updates:
            risk.on_trade(update)
            metrics.observe(update)
            recorder.handle(update)
        recorder.commit(recorder.take_batch())
        counts = dict(recorder.live.trades)

    pnl = first.value_ref if first.value_ref is not None else first.net_profit
    assert pnl is not None and pnl > 0
    assert risk.breakers.pnl_session == pnl, "the risk engine counted the fill twice"
    assert risk.snapshot().pnl_today == pnl
    sample = metrics.registry.get_sample_value
    assert sample("arb_trades_total", {"status": "mined"}) == 1
    assert sample("arb_profit_wei_total") == float(first.realized_profit)  # a float counter
    assert sample("arb_gas_used_total") == first.gas_used
    assert counts["mined"] == 1 and counts["sent"] == 0
    row = journal.trade(order.order_id)
    assert row["status"] == "mined" and int(row["realized_profit"]) == first.realized_profit
