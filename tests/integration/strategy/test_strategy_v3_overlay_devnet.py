"""Paper does not diverge from live through V3 pools (real npm Uniswap V2 + V3 on Anvil).

A dislocation is planted on a V3 pool; the detector reads the market the production way
(discovery from the factories, ``fetch_reserves_full``, the V3 tracker's batched snapshots),
finds and sizes the cycle, and the same candidate is then traded twice through the execution
pipeline: in paper mode (the executor's simulation of the exact calldata is the fill, then
``Detector.mark_filled`` lays it over the pools, as the market task does), and live (signed,
sent, mined). The paper overlay the detector shows afterwards must be the chain's own state
after the live trade, bit for bit: every V3 pool's ``sqrtPriceX96``, tick and in-range
liquidity (``slot0()``, ``liquidity()``) and every V2 pair's reserves.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parents[1] / "execution"))  # v3_chain: conftest.py

from exec_helpers import Harness, exec_config, order_for
from exec_v3_helpers import CYCLES, WETH_UNIT, plant

from appliance.chain.discovery import discover
from appliance.chain.reserves import fetch_pool_states, fetch_reserves_full, split_by_state
from appliance.config import DexConfig, load_config
from appliance.events import PoolsDiscovered, ReservesUpdated, TradeStatus
from appliance.safety import SafetyLatch
from appliance.store.journal import Journal
from appliance.strategy import Detector
from tests.integration.chain.chain_helpers import pool_of

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(300)]

GAS_LIMIT = 1_200_000  # a triangle whose V3 leg crosses ticks needs more than the default 600k


def _market_of(dn, cycle) -> tuple[list[DexConfig], list[str]]:
    """The DEXes and tokens of ``cycle`` only (so its cycle is the market's dislocation)."""
    v2 = {h.dex for h in cycle.hops if not h.dex.startswith("v3:")}
    tiers = tuple(sorted({int(h.dex[3:]) for h in cycle.hops if h.dex.startswith("v3:")}))
    dexes = [
        DexConfig(name=d.name, factory=d.factory, fee_bps=d.fee_bps)
        for d in dn.dexes
        if d.name in v2
    ]
    dexes.append(DexConfig(name="univ3", factory=dn.v3.factory, kind="uniswap_v3", fee_tiers=tiers))
    symbols = {s for h in cycle.hops for s in (h.token_in, h.token_out)}
    return dexes, [dn.token(s).address for s in sorted(symbols)]


async def _detect(dn, cycle, cfg):
    """The detector on the chain's market at the head, read the production way."""
    dexes, tokens = _market_of(dn, cycle)
    async with pool_of(dn.rpc) as rpc:
        infos, pools = await discover(rpc, dexes, tokens)
        head = await rpc.get_block("latest")
        trackers: dict = {}
        reserve_pools, driven = split_by_state(pools, trackers)
        reserves = await fetch_reserves_full(rpc, head.hash, reserve_pools)
        states = await fetch_pool_states(rpc, head.number, head.hash, trackers, driven, None,
                                         full=True)  # fmt: skip
    det = Detector(cfg)
    det.on_pools(PoolsDiscovered(infos, pools))
    assert states is not None
    det.on_pool_states(states)
    found = det.on_reserves(ReservesUpdated(head.number, head.hash, reserves, True), head.base_fee)
    return det, found


@pytest.mark.parametrize("name", ["v2_v3", "v3_v3", "v2_v3_v2"])
async def test_paper_overlay_equals_the_chain_after_the_live_trade(
    v3_chain, tmp_path, name
) -> None:
    dn, executor, _flash = v3_chain
    cycle = CYCLES[name]
    await plant(dn, cycle.plant)
    base = load_config(dn.config_path)
    cfg = dataclasses.replace(
        base,
        tokens=dataclasses.replace(base.tokens, base=(dn.weth,), deny=()),
        risk=dataclasses.replace(base.risk, max_trade_wei=40 * WETH_UNIT),  # 50 WETH held
    )
    det, found = await _detect(dn, cycle, cfg)
    assert found is not None
    cand = next(c for c in found.candidates if any(leg.kind == "uniswap_v3" for leg in c.legs))
    # paper: the executor simulates the exact calldata; the fill is laid over the pools
    with Journal(tmp_path / "paper.sqlite") as journal:
        paper_cfg = exec_config(dn, executor, live=False, gas_limit=GAS_LIMIT)
        h = Harness(paper_cfg, journal, SafetyLatch(tmp_path / "p"))
        async with trio.open_nursery() as nursery:
            await h.start(nursery)
            await h.orders_send.send(order_for(cand))
            paper = await h.next_update()
            await h.orders_send.aclose()
    assert paper.status is TradeStatus.PAPER, paper.reason
    assert det.mark_filled(cand)
    st = det.state
    shown = {}
    for leg in cand.legs:
        pid = st.pool_ids[leg.pool]
        if leg.kind == "uniswap_v3":
            w = st.held[pid]
            shown[leg.pool] = (w.sqrt_price_x96, w.tick, w.liquidity)
        else:
            shown[leg.pool] = (st.reserve0[pid], st.reserve1[pid])
    # live: the same candidate signed, sent and mined
    with Journal(tmp_path / "live.sqlite") as journal:
        h = Harness(
            exec_config(dn, executor, gas_limit=GAS_LIMIT), journal, SafetyLatch(tmp_path / "l")
        )
        async with trio.open_nursery() as nursery:
            await h.start(nursery)
            await h.orders_send.send(order_for(cand))
            sent = await h.until({TradeStatus.SENT, TradeStatus.DROPPED})
            assert sent.status is TradeStatus.SENT, sent.reason
            await dn.call("evm_increaseTime", [12])
            await dn.mine()
            final = await h.until({TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED})
            await h.orders_send.aclose()
    assert final.status is TradeStatus.MINED, final.reason
    assert final.realized_profit == cand.gross_profit == paper.realized_profit
    v3 = {p.address: p for p in dn.v3.pools}
    chain = {}
    for leg in cand.legs:
        if leg.kind == "uniswap_v3":
            chain[leg.pool] = await dn.v3.read_head(v3[leg.pool])
        else:
            chain[leg.pool] = await dn.reserves(leg.pool)
    assert shown == chain
    # the fill moved every V3 pool it went through, and crossed initialized ticks on the way
    crossed = False
    for leg in cand.legs:
        if leg.kind == "uniswap_v3":
            before = det._chain_held[st.pool_ids[leg.pool]][0]  # the chain's state under it
            assert (before.sqrt_price_x96, before.tick) != chain[leg.pool][:2]
            crossed |= before.liquidity != chain[leg.pool][2]
    assert crossed
