"""run_market: channels in, CandidatesFound and TokenDenied out (in-memory market, no node)."""

from __future__ import annotations

import time

import trio
from test_strategy_detector import GWEI, make_cfg

from appliance.events import BlockSeen, CandidatesFound, TokenDenied
from appliance.market.synthetic import NoiseMarket
from appliance.strategy import Detector, run_market


async def test_run_market_turns_blocks_into_candidates_and_journals_denials():
    market = NoiseMarket(n_tokens=6, seed=2)
    cfg = make_cfg(market)
    events_send, events_recv = trio.open_memory_channel(16)
    cand_send, cand_recv = trio.open_memory_channel(16)
    rec_send, rec_recv = trio.open_memory_channel(16)
    async with trio.open_nursery() as nursery:
        detector = await nursery.start(run_market, cfg, events_recv, cand_send, rec_send)
        assert isinstance(detector, Detector)
        await events_send.send(market.discovered())
        await events_send.send(BlockSeen(1, "0x01", "0x00", 0, GWEI))
        before = time.monotonic()
        await events_send.send(market.snapshot())
        pool = next(
            p
            for p in market.pools
            if market.base[0] in (p.token0, p.token1) and market.base[1] not in (p.token0, p.token1)
        )
        zfo = pool.token0 != market.base[0]
        market.swap(pool, zfo, market.reserves[pool.address][0 if zfo else 1] // 10)
        event = market.step(trades=0)
        await events_send.send(BlockSeen(event.block, "0x02", "0x01", 0, 2 * GWEI))
        await events_send.send(event)
        found = await cand_recv.receive()
        assert isinstance(found, CandidatesFound)
        assert found.block == event.block and found.candidates
        assert found.candidates[0].gas_cost == found.candidates[0].gas_estimate * 3 * GWEI
        assert found.seen_at >= before
        other = pool.token1 if pool.token0 == market.base[0] else pool.token0
        await events_send.send(TokenDenied(other, "fee_on_transfer: test"))
        assert await rec_recv.receive() == TokenDenied(other, "fee_on_transfer: test")
        await events_send.aclose()
    assert other in detector.state.denied
