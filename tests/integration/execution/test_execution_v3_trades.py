"""Mixed V2/V3 cycles on the real npm Uniswap V2 and V3 contracts, traded through the executor by
the production pipeline (simulate on pending, sign, write ahead, send, track) in live mode.

Each cycle's amounts are computed beforehand from ``v2math`` over the pairs' reserves and
``v3math`` over the V3 pools' full tick state, both read back from the chain; the trade must
land in the next block and move exactly those amounts, leg by leg (the pools' Transfer logs).
Run with ``-s`` for the gas of each trade kind.
"""

from __future__ import annotations

import pytest
import trio
from exec_helpers import Harness, exec_config, gas_limit_landed
from exec_v3_helpers import CYCLES, make_candidate, plant

from appliance.events import TradeStatus
from appliance.execution.calldata import TRANSFER_TOPIC

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(300)]


def _transfers(receipt: dict) -> list[tuple[str, str, str, int]]:
    """(token, from, to, value) of every ERC-20 Transfer in the receipt, lower-case addresses."""
    out = []
    for log in receipt["logs"]:
        if log["topics"][0] == TRANSFER_TOPIC and len(log["topics"]) == 3:
            out.append(
                (
                    log["address"].lower(),
                    "0x" + log["topics"][1][-40:],
                    "0x" + log["topics"][2][-40:],
                    int(log["data"], 16),
                )
            )
    return out


@pytest.mark.parametrize("funding", ["inventory", "flash"])
@pytest.mark.parametrize("name", list(CYCLES))
async def test_mixed_cycle_lands_and_realizes_the_exact_amounts(
    v3_chain, journal, latch, name, funding
):
    dn, inv, flash = v3_chain
    executor = inv if funding == "inventory" else flash
    cycle = CYCLES[name]
    await plant(dn, cycle.plant)
    cand = await make_candidate(dn, cycle)
    assert cand.gross_profit > 0, cand
    v3_legs = [leg for leg in cand.legs if leg.kind == "uniswap_v3"]
    ticks_before = [await _tick(dn, leg.pool) for leg in v3_legs]
    before = await dn.balance("WETH", executor)
    if funding == "flash":
        assert before == 0  # no inventory: the first leg pays out first
    # the gas limit is derived from the simulation's own measure (4 hops crossing V3 ticks use
    # ~720k-750k gas: more than the old fixed 600k limit); the receipt stays below it
    cfg = exec_config(dn, executor, funding=funding)
    h = Harness(cfg, journal, latch)
    async with trio.open_nursery() as nursery:
        await h.start(nursery)
        order = await h.send_order(cand)
        sent = await h.until({TradeStatus.SENT, TradeStatus.DROPPED})
        assert sent.status is TradeStatus.SENT, sent.reason
        await dn.call("evm_increaseTime", [12])  # a new timestamp, as on a real chain: the gas
        await dn.mine()  # printed includes the pools' first-swap-of-the-block oracle writes
        final = await h.until({TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED})
        await h.orders_send.aclose()
    assert final.status is TradeStatus.MINED, final.reason
    assert final.block_mined == sent.block_sent + 1
    after = await dn.balance("WETH", executor)
    assert final.realized_profit == cand.gross_profit == after - before
    assert int(journal.trade(order.order_id)["realized_profit"]) == cand.gross_profit
    receipt = await dn.call("eth_getTransactionReceipt", [final.tx_hash])
    moved = _transfers(receipt)
    for leg, amount in zip(cand.legs, cand.amounts, strict=True):
        outs = [(t, v) for t, src, _to, v in moved if src == leg.pool.lower()]
        assert outs == [(leg.token_out.lower(), amount)], (leg, outs)
    # the first leg was paid exactly amount_in of base, by the executor
    paid_first = [
        v for t, src, to, v in moved if to == cand.legs[0].pool.lower() and t == dn.weth.lower()
    ]
    assert paid_first == [cand.amount_in]
    crossed = 0
    for leg, before_tick in zip(v3_legs, ticks_before, strict=True):
        state = await dn.v3.read_state(next(p for p in dn.v3.pools if p.address == leg.pool))
        lo, hi = sorted((before_tick, state.tick))
        crossed += sum(1 for t in state.ticks if lo < t <= hi)
    limit, used, estimate = await gas_limit_landed(dn, cfg, final.tx_hash)
    print(
        f"{name} {funding}: {len(cand.legs)} hops, gas {used}, limit {limit},"
        f" node estimate {estimate}, ticks crossed {crossed}"
    )


async def _tick(dn, pool: str) -> int:
    return (await dn.v3.read_head(next(p for p in dn.v3.pools if p.address == pool)))[1]


@pytest.mark.parametrize("funding", ["inventory", "flash"])
async def test_paper_mode_fills_a_mixed_cycle_exactly_and_sends_nothing(
    v3_chain, journal, latch, funding
):
    """Paper trading a V2/V3 triangle: the simulation of the exact calldata is the fill, and it
    is the v2math + v3math profit to the wei; nothing is signed onto the chain."""
    dn, inv, flash = v3_chain
    executor = inv if funding == "inventory" else flash
    cycle = CYCLES["v2_v3_v2"]
    await plant(dn, cycle.plant)
    cand = await make_candidate(dn, cycle)
    owner = dn.accounts["appliance"].address
    nonce = await dn.call("eth_getTransactionCount", [owner, "pending"])
    h = Harness(exec_config(dn, executor, live=False, funding=funding), journal, latch)
    async with trio.open_nursery() as nursery:
        await h.start(nursery)
        await h.send_order(cand)
        paper = await h.next_update()
        await h.orders_send.aclose()
    assert paper.status is TradeStatus.PAPER, paper.reason
    assert paper.realized_profit == cand.gross_profit
    assert paper.tx_hash is None
    assert await dn.call("eth_getTransactionCount", [owner, "pending"]) == nonce
