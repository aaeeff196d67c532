"""The noise-trader simulator on a real Anvil: same seed, same swaps, same market."""

from __future__ import annotations

import functools

import pytest
import trio

from appliance.devnet import plan_swaps, run_simulator

pytestmark = pytest.mark.devnet

ROUNDS = 4


async def _run(dn, seed: int) -> tuple[dict, int]:
    snap = await dn.snapshot()
    try:
        stats = await run_simulator(dn, seed=seed, swaps_per_block=3, mine=True, max_rounds=ROUNDS)
        assert stats.sent == ROUNDS * 3 and stats.failed == 0
        return await dn.all_reserves(), await dn.block_number()
    finally:
        await dn.revert(snap)


async def test_same_seed_same_market_other_seed_other_market(devnet):
    first, head1 = await _run(devnet, 11)
    again, head2 = await _run(devnet, 11)
    other, _ = await _run(devnet, 12)
    assert first == again and head1 == head2
    assert first != devnet.initial_reserves  # the swaps moved prices
    assert other != first


async def test_swaps_on_chain_follow_the_planned_sequence(devnet):
    head = await devnet.block_number()
    await run_simulator(devnet, seed=21, swaps_per_block=2, mine=True, max_rounds=2)
    planned = plan_swaps(devnet, 21, 4)
    mined = []
    async with devnet.client() as rpc:
        for number in range(head + 1, head + 3):
            block = await rpc.call("eth_getBlockByNumber", [hex(number), True])
            mined += [
                tx
                for tx in block["transactions"]
                if tx["from"].lower() == devnet.accounts["simulator"].address.lower()
                and tx["to"].lower() in {d.router.lower() for d in devnet.dexes}
            ]
    assert [tx["to"].lower() for tx in mined] == [devnet.dex(s.dex).router.lower() for s in planned]
    for tx, swap in zip(mined, planned, strict=True):
        assert int(tx["input"][10:74], 16) == swap.amount_in  # first argument: amountIn


async def test_follows_new_blocks_without_mining(devnet):
    """In the default mode the simulator only reacts: one round per new head."""
    async with trio.open_nursery() as nursery:
        stats = await nursery.start(functools.partial(run_simulator, devnet, seed=3, poll_s=0.01))
        await trio.sleep(0.1)
        assert stats.rounds == 0  # manual mining: no new block, no swaps
        for expected in (1, 2):
            await devnet.mine()
            with trio.fail_after(10):
                while stats.rounds < expected:
                    await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    status = await devnet.call("txpool_status")
    assert int(status["pending"], 16) == 3  # round 1 was mined by the 2nd block; round 2 waits
