"""The devnet's V3 rival, judged by on-chain truth through the production path: its V2<->V3
arbitrage travels from the real chain task (the V3 pool's Swap log rides on the same logs
request as the V2 ones) to the intel reader, and is classified as an arbitrage of its account
and contract, across one V2 and one V3 pool, with the exact profit its WETH balance shows."""

from __future__ import annotations

import dataclasses
import math

import pytest
import trio

from appliance.chain import open_rpc_pool
from appliance.chain.service import run_chain
from appliance.config import load_config
from appliance.devnet._config_file import V3_DEX_NAME
from appliance.devnet.searchers import open_searchers
from appliance.events import PoolInfo, SwapLogsSeen
from appliance.intel import Kind
from appliance.intel.task import IntelReader

pytestmark = pytest.mark.devnet


def _v3_pools(dn) -> tuple[PoolInfo, ...]:
    return tuple(
        PoolInfo(p.address, V3_DEX_NAME, p.token0, p.token1, p.fee // 100, kind="uniswap_v3")
        for p in dn.v3.pools
    )


async def _base_fee(dn) -> int:
    head = await dn.call("eth_getBlockByNumber", ["latest", False])
    return int(head["baseFeePerGas"], 16)


@pytest.mark.parametrize("path", ["polling", "streaming", "full-refresh"])
async def test_the_v3_rival_is_classified_from_the_chain_task(devnet_v3, path):
    dn = devnet_v3
    cfg = load_config(dn.config_path, check_key=False)
    if path != "streaming":  # the HTTP half of the devnet's http|ws pair only
        rpc_list = tuple(r.split("|")[0] for r in cfg.chain.rpc)
        cfg = dataclasses.replace(cfg, chain=dataclasses.replace(cfg.chain, rpc=rpc_list))
    if path == "full-refresh":  # every block a full refresh: V3 pools read by snapshot
        cfg = dataclasses.replace(cfg, chain=dataclasses.replace(cfg.chain, full_refresh_blocks=1))
    pools = (*dn.pools, *_v3_pools(dn))
    rivals = await open_searchers(dn)
    assert rivals.v3_contract is not None
    # WETH dear on the first DEX's V2 pool: WETH -> USDC there, USDC -> WETH on a V3 pool
    await dn.swap("uniswap", "USDC", "WETH", 400_000 * 10**6, account="simulator")
    events_send, _events_recv = trio.open_memory_channel(math.inf)
    swaps_send, swaps_recv = trio.open_memory_channel(64)
    weth = dn.weth
    async with open_rpc_pool(cfg.chain) as rpc, trio.open_nursery() as nursery:
        await nursery.start(
            lambda task_status: run_chain(
                cfg, rpc, pools, events_send, swaps_send=swaps_send, task_status=task_status
            )
        )
        before = await dn.balance(weth, rivals.v3_contract)
        tx = await rivals.act_v3(await dn.all_reserves(), await _base_fee(dn))
        assert tx is not None
        number = await dn.mine()
        receipt = await dn.call("eth_getTransactionReceipt", [tx])
        assert int(receipt["status"], 16) == 1 and int(receipt["blockNumber"], 16) == number
        after = await dn.balance(weth, rivals.v3_contract)
        with trio.fail_after(60):
            while True:
                seen = await swaps_recv.receive()
                assert isinstance(seen, SwapLogsSeen)
                if seen.block == number:
                    break
        ours = {dn.address_of("appliance")}
        event, swaps = await IntelReader(rpc, pools, ours).read_block(seen)
        nursery.cancel_scope.cancel()
    (arb,) = event.arbitrages
    assert arb.kind == str(Kind.ARBITRAGE) and arb.tx_hash == tx.lower()
    assert arb.searcher.lower() == rivals.addresses["v3"].lower()
    assert arb.contract.lower() == rivals.v3_contract.lower()
    assert arb.start_token.lower() == weth.lower()
    assert arb.profit_wei == after - before > 0
    assert arb.gas_wei == int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    kinds = {p.address.lower(): p.kind for p in pools}
    assert sorted(kinds[p.lower()] for p in arb.pools) == ["uniswap_v2", "uniswap_v3"]
    assert event.rejected_logs == 0
    legs = [s for s in swaps.swaps if s.tx_hash == arb.tx_hash]
    assert [s.pool for s in legs] == list(arb.pools)
