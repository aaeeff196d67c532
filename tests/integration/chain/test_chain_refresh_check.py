"""#24: the periodic full refresh checks the Sync-log path like for like — no false ERROR on an
honest node (every block changes pools, the refresh block included), and a real ERROR when the
logs really were incomplete."""

from __future__ import annotations

import logging

import pytest
import trio
from chain_helpers import check_stream
from lyingnode import LyingNode

from appliance.chain import open_rpc_pool
from appliance.chain.service import run_chain
from appliance.config import ChainConfig
from appliance.events import ReservesUpdated

pytestmark = pytest.mark.devnet

DISAGREE = "Sync-log reserves disagree"


async def follow(devnet, url: str, blocks: int, liar: LyingNode | None = None) -> list:
    cfg = ChainConfig(chain_id=devnet.chain_id, rpc=(url,), block_time_s=0.5, full_refresh_blocks=3)
    send, recv = trio.open_memory_channel(5000)
    events: list = []
    async with open_rpc_pool(cfg) as rpc, trio.open_nursery() as inner:
        first = await devnet.block_number()
        await inner.start(run_chain, cfg, rpc, devnet.pools, send)
        for i in range(blocks):
            if liar is not None and i == 1:
                liar.lie = "no_logs"
            await devnet.swap("uniswap", "WETH", "USDC", 10**16 * (i + 1), mine=False)
            number = await devnet.mine()  # a change in every block, refresh blocks included
            with trio.fail_after(30):
                async for event in recv:
                    events.append(event)
                    if isinstance(event, ReservesUpdated) and event.block >= number:
                        break
        inner.cancel_scope.cancel()
    return [first, number, events]


async def test_no_false_disagreement_on_an_honest_node(devnet, caplog):
    caplog.set_level(logging.ERROR, logger="appliance.chain")
    first, last, events = await follow(devnet, devnet.rpc, 7)  # two periodic refreshes
    assert sum(1 for e in events if isinstance(e, ReservesUpdated) and e.full) >= 3
    assert not [r for r in caplog.records if DISAGREE in r.getMessage()]
    assert check_stream(events, first, last) == await devnet.all_reserves()


async def test_withheld_logs_are_an_error_at_the_next_refresh(devnet, nursery, caplog):
    caplog.set_level(logging.ERROR, logger="appliance.chain")
    liar = LyingNode(devnet.rpc)
    await nursery.start(liar.serve)
    first, last, events = await follow(devnet, liar.url, 6, liar)  # ends on a refresh block
    assert liar.lies_told > 0
    assert [r for r in caplog.records if DISAGREE in r.getMessage() and r.levelno == logging.ERROR]
    assert check_stream(events, first, last) == await devnet.all_reserves()  # the full values won
