"""run_market: channels in, CandidatesFound and TokenDenied out (in-memory market, no node)."""

from __future__ import annotations

import time
from functools import partial

import pytest
import trio
import trio.testing
from eth_abi import encode
from eth_utils import to_checksum_address

from appliance.events import BlockSeen, CandidatesFound, SizingUpdated, TokenDenied
from appliance.market.synthetic import NoiseMarket
from appliance.risk.inputs import PricesObserved
from appliance.strategy import Detector, run_market
from appliance.strategy.hostile import MAGIC
from appliance.strategy.task import PROBE_ATTEMPTS


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
        seen = [await cand_recv.receive() for _ in range(3)]  # 2 blocks: prices, prices, found
        prices, found = seen[:2], seen[2]
        assert all(isinstance(p, PricesObserved) for p in prices)  # every block, first
        assert prices[0].prices[market.base[0]] == 1.0 and prices[0].prices[market.base[1]] > 0
        assert isinstance(found, CandidatesFound)
        assert found.block == event.block and found.candidates
        assert found.candidates[0].gas_cost == found.candidates[0].gas_estimate * 3 * GWEI
        assert found.seen_at >= before
        other = pool.token1 if pool.token0 == market.base[0] else pool.token0
        await events_send.send(TokenDenied(other, "fee_on_transfer: from the chain layer"))
        await events_send.send(SizingUpdated({market.base[0]: 7}, {market.base[0]: 5}))
        await trio.testing.wait_all_tasks_blocked()
        assert detector.size_caps == {market.base[0]: 7}
        assert detector.inventory == {market.base[0]: 5}
        await events_send.aclose()
    assert detector.state.denied == {other: "fee_on_transfer: from the chain layer"}
    with pytest.raises(trio.WouldBlock):
        rec_recv.receive_nowait()  # applied, not echoed to the journal


async def test_probe_verdicts_are_journaled_and_failed_probes_retried():
    market = NoiseMarket(n_tokens=5, seed=3)
    cfg = make_cfg(market)
    hostile = market.tokens[3].address
    calls: dict[str, int] = {}
    fields = ["uint256"] * 6 + ["bool", "uint256", "uint256"]

    async def eth_call(to, data, block, override):
        token = to_checksum_address(data[4 + 32 + 12 : 4 + 64])
        calls[token] = calls.get(token, 0) + 1
        if token == market.tokens[2].address:
            raise OSError("node has no state override")
        sent = 100 if token != hostile else 98
        measured = [100, sent, sent // 2, sent - sent // 2, 0, sent // 2, True, 10**6, 10**6]
        return encode(["bytes"], [MAGIC + encode(fields, measured)])

    events_send, events_recv = trio.open_memory_channel(16)
    cand_send, _cand_recv = trio.open_memory_channel(16)
    rec_send, rec_recv = trio.open_memory_channel(16)
    async with trio.open_nursery() as nursery:
        detector = await nursery.start(
            partial(run_market, cfg, events_recv, cand_send, rec_send, eth_call=eth_call)
        )
        await events_send.send(market.discovered())
        for _ in range(5):
            await events_send.send(market.step(trades=3))
            await trio.testing.wait_all_tasks_blocked()
        denied = await rec_recv.receive()
        assert denied.token == hostile and denied.reason.startswith("fee_on_transfer")
        await events_send.aclose()
    assert set(detector.state.denied) == {hostile}
    assert calls[market.tokens[2].address] == PROBE_ATTEMPTS
    assert calls[hostile] == 1 and calls[market.tokens[4].address] == 1
    assert market.base[0] not in calls and market.base[1] not in calls


GWEI = 10**9


def make_cfg(market: NoiseMarket, **strategy):
    return market.app_config(**strategy)


async def test_only_a_successful_paper_fill_is_laid_over_the_reserves():
    """A live result moves the chain itself (the next reserves show it); a failed paper
    simulation is a revert: it moved nothing. Only a successful paper fill is laid over."""
    from appliance.events import OrderApproved, TradeStatus, TradeUpdated
    from appliance.modes import Mode

    market = NoiseMarket(n_tokens=5, n_base=1, dex_fees=(30, 30), extra_pairs=0, seed=7)
    cfg = make_cfg(market)
    events_send, events_recv = trio.open_memory_channel(64)
    cand_send, cand_recv = trio.open_memory_channel(64)
    async with trio.open_nursery() as nursery:
        detector = await nursery.start(
            partial(run_market, cfg, events_recv, cand_send, prices=False)
        )
        await events_send.send(market.discovered())
        await events_send.send(market.snapshot())
        pool = max(
            (p for p in market.pools if p.dex == "dex0"),
            key=lambda p: market.reserves[p.address][0 if p.token0 == market.base[0] else 1],
        )
        zfo = pool.token0 == market.base[0]
        market.swap(pool, zfo, market.reserves[pool.address][0 if zfo else 1] * 3 // 100)
        await events_send.send(market.step(trades=0))
        found = await cand_recv.receive()
        cand = found.candidates[0]
        outcomes = [
            (TradeStatus.MINED, "", 0),
            (TradeStatus.REVERTED, "", 0),
            (TradeStatus.PAPER, "simulation: executor: profit below minimum", 0),
            (TradeStatus.SENT, "", 0),  # not settled: nothing yet
            (TradeStatus.PAPER, "", 1),
        ]
        for i, (status, reason, fills) in enumerate(outcomes):
            await events_send.send(OrderApproved(cand, Mode.NORMAL, f"o{i}"))
            await events_send.send(TradeUpdated(f"o{i}", status, Mode.NORMAL, reason=reason))
            await trio.testing.wait_all_tasks_blocked()
            assert len(detector.fills) == fills, status
        await events_send.aclose()
