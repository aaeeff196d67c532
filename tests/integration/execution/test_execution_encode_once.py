"""The order's calldata is encoded once when the head it is simulated at is the candidate's
block (the usual case, streamed heads): what is simulated and signed equals the plain
computation from the simulated head. A candidate behind the head is encoded again from it, as
before. Real Anvil, real executor."""

from __future__ import annotations

import dataclasses

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, plant

from appliance.execution.bids import coinbase_bid

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(120)]


async def test_calldata_encoded_once_at_the_candidates_block_and_equal_to_the_plain(
    chain, journal, latch
):
    dn, inv, _ = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    h = Harness(exec_config(dn, inv), journal, latch)
    async with trio.open_nursery() as nursery:
        pipe = await h.start(nursery)
        plain = pipe.calldata
        encoded: list[int] = []

        def counted(candidate, head, coinbase_wei=0):
            encoded.append(head.number)
            return plain(candidate, head, coinbase_wei)

        pipe.calldata = counted
        head, data, deadline, bid, sim = await pipe.simulate_at_head(cand)
        assert head.number == cand.block and encoded == [cand.block]
        assert bid == coinbase_bid(pipe, cand, head)
        assert (data, deadline) == plain(cand, head, bid)
        assert sim.profit > 0

        await dn.mine()  # the head moves on: the candidate's block is behind it
        encoded.clear()
        head, data, deadline, bid, _sim = await pipe.simulate_at_head(cand)
        assert head.number == cand.block + 1 and encoded == [cand.block, cand.block + 1]
        assert bid == coinbase_bid(pipe, cand, head)
        assert (data, deadline) == plain(cand, head, bid)
        assert deadline == head.number + max(1, pipe.ex.deadline_blocks)

        stale = dataclasses.replace(cand, block=cand.block - 1)
        encoded.clear()
        head, data, deadline, bid, _sim = await pipe.simulate_at_head(stale)
        assert encoded == [cand.block - 1, head.number]
        assert bid == coinbase_bid(pipe, stale, head)
        assert (data, deadline) == plain(stale, head, bid)
        nursery.cancel_scope.cancel()
