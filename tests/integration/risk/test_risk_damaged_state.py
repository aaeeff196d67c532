"""A damaged ``risk_state.json`` never resumes trading with a tripped breaker forgotten (#23,
#14.15): the whole supervisor on the devnet, a journal that holds today's loss beyond the daily
limit, and a truncated or wrong-typed risk state. The breakers restore OPEN (PAUSED, reason
journaled), the journal rebuilds today's P&L, the daily breaker follows it and stays open: a
real dislocation is rejected, nothing is traded. (Before: "breakers start fresh", and it traded.)
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import pytest
import trio
from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).parents[1] / "strategy"))

from paper_helpers import ETH, balance_market, rows, two_dex_config, until

from appliance.config import load_config
from appliance.events import TradeStatus, TradeUpdated
from appliance.modes import Mode
from appliance.store.statefile import StateReader
from appliance.store.writer import run_store
from appliance.supervisor import run_supervisor

pytestmark = pytest.mark.devnet

LOSS = 2 * 10**17  # today's loss in the journal: twice the default daily limit (0.1 WETH)


async def _journal_a_loss(cfg) -> None:
    """Today's reverted trade, written by the real store task (as the supervisor would)."""
    send, recv = trio.open_memory_channel(8)
    async with trio.open_nursery() as nursery:
        await nursery.start(partial(run_store, cfg, recv))
        async with send:
            await send.send(
                TradeUpdated(
                    "seed-1",
                    TradeStatus.REVERTED,
                    Mode.NORMAL,
                    amount_in=ETH,
                    gas_cost=LOSS,
                    base_token=cfg.tokens.base[0],
                    value_ref=-LOSS,
                )
            )


@pytest.mark.parametrize(
    "damage",
    [
        '{"breakers": "{\\"version\\": 2, \\"breakers\\": {\\"daily\\": {\\"sta',  # truncated
        '{"mode": "NORMAL", "clean_shutdown": "yes", "breakers": null, "saved_at": 0}',  # types
    ],
    ids=["truncated", "wrong-types"],
)
async def test_damaged_risk_state_keeps_the_daily_breaker_open_and_nothing_trades(
    devnet, tmp_path, damage
):
    dn = devnet
    await balance_market(dn)
    cfg = load_config(await two_dex_config(dn, tmp_path, live=False, commit_interval_s=0.2))
    await _journal_a_loss(cfg)
    (cfg.storage.data_dir / "risk_state.json").write_text(damage)
    async with trio.open_nursery() as nursery:
        sup = await nursery.start(
            lambda task_status: run_supervisor(
                cfg, pin_factory=MockFactory(), task_status=task_status
            )
        )
        await sup.ready.wait()
        engine = sup.risk
        assert engine.damaged is None  # rebuilt from the journal at start
        assert engine.breakers.pnl_today == -LOSS
        assert engine.breakers.states["daily"] == "open"
        weth = cfg.tokens.base[0]
        await dn.swap("uniswap", "WETH", "USDC", 40 * ETH, account="competitor")
        push = await dn.block_number()
        await until(
            lambda: (
                rows(cfg, "SELECT count(*) FROM opportunities WHERE block >= ?", (push,))[0][0] > 0
            ),
            "the dislocation to be decided",
        )
        await dn.mine(2)
        await until(
            lambda: (
                rows(cfg, "SELECT count(*) FROM opportunities WHERE decision = 'candidate'")[0][0]
                == 0
            ),
            "every opportunity decided",
        )
        assert engine.mode is Mode.PAUSED
        assert engine.size_caps().get(weth, 0) == 0
        with StateReader(cfg.storage.runtime_dir / "state.bin") as reader:
            snap = reader.snapshot(prices=False)
        assert snap.mode is Mode.PAUSED and snap.breakers["daily"] == "open"
        nursery.cancel_scope.cancel()
    assert rows(cfg, "SELECT order_id FROM trades") == [("seed-1",)]  # nothing traded
    # An opportunity found in the instant before the cancel stays "candidate" (journaled, never
    # decided, never traded); every decided one was rejected, and at least one was decided.
    decisions = rows(
        cfg, "SELECT DISTINCT decision, reason FROM opportunities WHERE decision != 'candidate'"
    )
    assert decisions and all(d == "rejected" for d, _ in decisions), decisions
    alerts = " | ".join(t for (t,) in rows(cfg, "SELECT text FROM alerts"))
    assert "risk state damaged" in alerts
    assert "daily breaker open" in alerts and "rebuilt from the journal" in alerts
    modes = rows(cfg, "SELECT new, reason FROM mode_changes")
    assert ("NORMAL",) not in {(m,) for m, _ in modes[-3:]}, modes
