"""The price observations reach the risk engine (#14.9): run_market and run_risk as their real
Trio tasks, connected as in the supervisor (the market's candidates channel is risk's), on the
exact in-memory V2 market. Before, nothing produced ``PricesObserved``: the regime stayed "low"
whatever the market did. Now a calm market measures "low", a wild one "high" (sizes x0.25), and
before any observation the regime says it is not measured."""

from __future__ import annotations

import dataclasses
from functools import partial

import trio

from appliance.events import BlockSeen
from appliance.market.synthetic import NoiseMarket
from appliance.risk import run_risk
from appliance.risk.engine import NOT_MEASURED
from appliance.safety import SafetyLatch
from appliance.strategy import run_market

GWEI = 10**9


async def _regime_after(tmp_path, *, max_fraction: float, blocks: int = 30):
    market = NoiseMarket(n_tokens=6, n_base=2, seed=5)
    cfg = market.app_config()
    cfg = dataclasses.replace(cfg, storage=dataclasses.replace(cfg.storage, data_dir=tmp_path))
    events_send, events_recv = trio.open_memory_channel(64)
    cand_send, cand_recv = trio.open_memory_channel(4)
    orders_send, _orders_recv = trio.open_memory_channel(64)
    records_send, records_recv = trio.open_memory_channel(4096)
    async with trio.open_nursery() as nursery:
        engine = await nursery.start(
            partial(
                run_risk,
                cfg,
                cand_recv,
                None,
                orders_send,
                records_send,
                latch=SafetyLatch(tmp_path),
                tick_s=0.01,
            )
        )
        assert engine.regime == NOT_MEASURED
        assert engine.snapshot().var95 != engine.snapshot().var95  # NaN: not measured
        await nursery.start(run_market, cfg, events_recv, cand_send)
        await events_send.send(market.discovered())
        await events_send.send(market.snapshot())
        for _ in range(blocks):
            event = market.step(trades=8, max_fraction=max_fraction)
            await events_send.send(BlockSeen(event.block, "0x", "0x", 0, GWEI))
            await events_send.send(event)
        with trio.fail_after(30):
            while len(engine._returns) < blocks:  # every block observed
                await trio.sleep(0.01)
        regime, mult = engine.regime, engine.size_multiplier
        nursery.cancel_scope.cancel()
    del records_recv
    return regime, mult


async def test_a_calm_market_measures_low(tmp_path):
    assert await _regime_after(tmp_path, max_fraction=0.0001) == ("low", 1.0)


async def test_a_wild_market_measures_high_and_shrinks_sizes(tmp_path):
    assert await _regime_after(tmp_path, max_fraction=0.2) == ("high", 0.25)
