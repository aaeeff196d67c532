"""A V2<->V3 dislocation through the real supervisor in paper mode (real npm V3 pools on Anvil).

The supervisor watches the devnet's V2 DEXes and its Uniswap V3 factory (fee tier 500: one V3
WETH/USDC pool, so every cycle through it crosses to V2), base tokens WETH and USDC. A real swap pushes the V3 WETH/USDC 500 pool ~3 % off the V2
pairs; the supervisor must discover the V3 pools from the factory, follow the swap from the
block's logs, find the cycle, size it exactly and journal it with its V3 leg — the pool kept as
``uniswap_v3`` in the journal's ``pools`` — and the journaled amounts must be what the pools
pay on the chain at that block (QuoterV2 for the V3 leg, ``getAmountsOut`` arithmetic for V2).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import trio
from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).parent))

from paper_helpers import balance_market, rows, two_dex_config, until

from appliance.config import load_config
from appliance.devnet._abi import calldata, decode_words
from appliance.market.v2math import get_amount_out
from appliance.market.v3math import get_sqrt_ratio_at_tick
from appliance.supervisor import run_supervisor

pytestmark = pytest.mark.devnet


def _v3_dex(dn) -> str:
    return (
        f'\n[[dex]]\nname = "univ3"\nfactory = "{dn.v3.factory}"\nkind = "uniswap_v3"\n'
        "fee_tiers = [500]\n"
    )


async def _quote_at(dn, pool, token_in: str, amount: int, block: int) -> int:
    """QuoterV2's exact-input answer for one pool at ``block``."""
    zero_for_one = token_in == pool.token0
    method, params = dn.v3.quote_call(pool, zero_for_one, True, amount, 0)
    params[1] = hex(block)
    answer = await dn.call(method, params)
    amount_out, *_ = decode_words(["uint256", "uint160", "uint32", "uint256"], answer)
    return amount_out


async def _reserves_at(dn, address: str, block: int) -> tuple[int, int]:
    call = {"to": address, "data": calldata("getReserves()")}
    answer = await dn.call("eth_call", [call, hex(block)])
    r0, r1, _ = decode_words(["uint112", "uint112", "uint32"], answer)
    return r0, r1


async def test_a_v2_v3_dislocation_is_found_rechecked_and_journaled(devnet_v3, tmp_path) -> None:
    dn = devnet_v3
    await balance_market(dn)  # no V2 dislocation (no paper fill laid over the V2 reserves)
    path = await two_dex_config(dn, tmp_path, live=False, commit_interval_s=0.2)
    # the devnet's own config lists its V3 DEX with every tier: watch tier 500 only
    text = re.sub(
        r'\[\[dex\]\]\nname = "[^"]*"\nkind = "uniswap_v3"\n.*?\n\n',
        "",
        path.read_text(),
        flags=re.S,
    )
    path.write_text(text + _v3_dex(dn))
    cfg = load_config(path)
    pool = dn.v3.pool("WETH", "USDC", 500)
    weth = dn.token("WETH").address
    async with trio.open_nursery() as nursery:
        sup = await nursery.start(
            lambda task_status: run_supervisor(
                cfg, pin_factory=MockFactory(), task_status=task_status
            )
        )
        await sup.ready.wait()
        await until(
            lambda: rows(cfg, "SELECT count(*) FROM pools WHERE kind = 'uniswap_v3'")[0][0] >= 1,
            "the V3 pools journaled",
        )
        _, tick, _ = await dn.v3.read_head(pool)
        zero_for_one = pool.token0 == weth  # sell WETH into the V3 pool: WETH gets cheap there
        target = tick - 300 if zero_for_one else tick + 300
        receipt = await dn.v3.swap(pool, zero_for_one, 2**200, get_sqrt_ratio_at_tick(target))
        pushed = int(receipt["blockNumber"], 16)

        def through_v3() -> list[tuple]:
            return [
                r
                for r in rows(
                    cfg,
                    "SELECT block, base_token, path, amount_in, amount_out FROM opportunities "
                    "WHERE block >= ?",
                    (pushed,),
                )
                if pool.address in json.loads(r[2])
            ]

        await until(lambda: through_v3(), "an opportunity through the pushed V3 pool", timeout=90)

        def v3_trades() -> list[tuple]:  # the paper fills of those opportunities (or drops)
            return [
                r[:3]
                for r in rows(
                    cfg,
                    "SELECT t.status, t.reason, t.realized_profit, o.path, o.amount_in, "
                    "o.amount_out FROM trades t JOIN opportunities o ON o.id = t.opportunity_id "
                    "WHERE o.block >= ? AND t.status IN ('paper', 'dropped')",
                    (pushed,),
                )
                if pool.address in json.loads(r[3])
            ]

        await until(lambda: v3_trades(), "the V3 opportunity through execution", timeout=90)
        nursery.cancel_scope.cancel()
    # the executor's own simulation of the exact calldata (V3 callback and all) filled it
    status, reason, realized = v3_trades()[0]
    assert status == "paper", (status, reason)
    assert int(realized) > 0
    block, base, legs_json, amount_in, amount_out = through_v3()[0]
    pools = json.loads(legs_json)
    kinds = dict(rows(cfg, "SELECT address, kind FROM pools"))
    assert kinds[pool.address] == "uniswap_v3"
    assert {kinds[p] for p in pools} == {"uniswap_v2", "uniswap_v3"}
    # the journaled amounts are the chain's own at that block, leg by leg
    tokens = {p.address: (p.token0, p.token1) for p in dn.pools}
    tokens.update({p.address: (p.token0, p.token1) for p in dn.v3.pools})
    v3_by_address = {p.address: p for p in dn.v3.pools}
    fees = {p.address: p.fee_bps for p in dn.pools}
    amount, token = int(amount_in), base
    for address in pools:
        t0, t1 = tokens[address]
        if address in v3_by_address:
            amount = await _quote_at(dn, v3_by_address[address], token, amount, block)
        else:
            r0, r1 = await _reserves_at(dn, address, block)
            r_in, r_out = (r0, r1) if token == t0 else (r1, r0)
            amount = get_amount_out(amount, r_in, r_out, fees[address])
        token = t1 if token == t0 else t0
    assert token == base and amount == int(amount_out) > int(amount_in)
