"""#24: the periodic refresh check compares the Sync-log path with a full read like for like —
no false ERROR on an honest node (every block changes pools, the checked block included), and
a real ERROR when the logs really were incomplete, after which the full values win at the next
block. The check's full read is off the block's path: a checked block's reserves go out from
its logs (``full=False``) like any other's."""

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
AGREE = "the full refresh check agrees"


async def follow(
    devnet, url: str, done, liar: LyingNode | None = None, most: int = 30, lie: str = "no_logs"
) -> list:
    """Mine a block with a swap at a time (a change in every block, checked blocks included)
    until ``done(events)`` holds after a block's reserves (at most ``most`` blocks)."""
    cfg = ChainConfig(chain_id=devnet.chain_id, rpc=(url,), block_time_s=0.5, full_refresh_blocks=3)
    send, recv = trio.open_memory_channel(5000)
    events: list = []
    async with open_rpc_pool(cfg) as rpc, trio.open_nursery() as inner:
        first = await devnet.block_number()
        await inner.start(run_chain, cfg, rpc, devnet.pools, send)
        for i in range(most):
            if liar is not None and i == 1:
                liar.lie = lie
            await devnet.swap("uniswap", "WETH", "USDC", 10**16 * (i + 1), mine=False)
            number = await devnet.mine()
            with trio.fail_after(30):
                async for event in recv:
                    events.append(event)
                    if isinstance(event, ReservesUpdated) and event.block >= number:
                        break
            if done(events):
                break
            await trio.sleep(0.3)  # the check runs a quarter block after its block
        else:
            raise AssertionError(f"not done after {most} blocks")
        inner.cancel_scope.cancel()
    return [first, number, events]


def records(caplog, text: str, level: int = logging.DEBUG) -> list:
    return [r for r in caplog.records if text in r.getMessage() and r.levelno >= level]


async def test_no_false_disagreement_on_an_honest_node(devnet, caplog):
    caplog.set_level(logging.DEBUG, logger="appliance.chain")
    first, last, events = await follow(
        devnet, devnet.rpc, lambda _: len(records(caplog, AGREE)) >= 2
    )
    assert not records(caplog, DISAGREE)
    updates = [e for e in events if isinstance(e, ReservesUpdated)]
    assert [e.full for e in updates].count(True) == 1  # the start only: checks are off the path
    checked = [int(r.getMessage().split()[1].rstrip(":")) for r in records(caplog, AGREE)]
    assert all(not e.full for e in updates if e.block in checked)
    assert checked[1] - checked[0] == 3
    assert check_stream(events, first, last) == await devnet.all_reserves()


async def test_withheld_logs_are_an_error_and_the_full_values_win_next(devnet, nursery, caplog):
    caplog.set_level(logging.ERROR, logger="appliance.chain")
    liar = LyingNode(devnet.rpc)
    await nursery.start(liar.serve)

    def healed(events) -> bool:  # a full read after the start's: the block after the check's
        fulls = [e for e in events if isinstance(e, ReservesUpdated) and e.full]
        return bool(records(caplog, DISAGREE)) and len(fulls) >= 2

    first, last, events = await follow(devnet, liar.url, healed, liar)
    assert liar.lies_told > 0
    assert records(caplog, DISAGREE, logging.ERROR)
    assert check_stream(events, first, last) == await devnet.all_reserves()  # the full values won


async def test_a_failed_check_is_made_again_at_the_next_block(devnet, nursery, caplog):
    caplog.set_level(logging.DEBUG, logger="appliance.chain")
    liar = LyingNode(devnet.rpc)
    await nursery.start(liar.serve)
    FAILED = "refresh check of block"

    def done(events) -> bool:
        failed = records(caplog, FAILED, logging.WARNING)
        if len(failed) >= 2:
            liar.lie = None  # the node answers again: the next try compares
        return len(failed) >= 2 and bool(records(caplog, AGREE))

    first, last, events = await follow(devnet, liar.url, done, liar, lie="no_calls")
    failed = [int(r.getMessage().split()[4]) for r in records(caplog, FAILED, logging.WARNING)]
    assert failed[1] == failed[0] + 1  # again at the very next block, not 3 blocks later
    [agreed] = [int(r.getMessage().split()[1].rstrip(":")) for r in records(caplog, AGREE)]
    assert agreed == failed[-1] + 1
    assert all(not e.full for e in events if isinstance(e, ReservesUpdated) and e.block > first + 1)
    assert check_stream(events, first, last) == await devnet.all_reserves()
