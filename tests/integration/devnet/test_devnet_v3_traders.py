"""The V3 side of the devnet as the demo runs it: the generated config lists the V3 DEX (and
still discovers every V2 pool), the simulator trades on the V3 pools too (exactly the seeded
plan, through the real pools), and the demo's executor trusts the devnet's V3 factory."""

from __future__ import annotations

import pytest

from appliance.chain.discovery import discover
from appliance.chain.pool import RpcPool
from appliance.chain.rpc import RpcClient
from appliance.config import load_config
from appliance.devnet import run_simulator
from appliance.devnet._abi import calldata, decode_words
from appliance.devnet._v3_traders import plan_v3_swaps
from appliance.devnet.executor import deploy_funded_executor
from appliance.market.v3state import SWAP_TOPIC

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(300)]


def test_the_v3_devnet_config_lists_the_v3_dex(devnet_v3):
    dn = devnet_v3
    cfg = load_config(dn.config_path)
    v3 = [d for d in cfg.dex if d.kind == "uniswap_v3"]
    assert [(d.name, d.factory) for d in v3] == [("uniswap_v3", dn.v3.factory)]
    assert v3[0].fee_tiers == tuple(sorted({p.fee for p in dn.v3.pools}))
    assert len(v3[0].fee_tiers) >= 3
    assert [d.name for d in cfg.dex if d.kind == "uniswap_v2"] == [d.name for d in dn.dexes]


async def test_discovery_on_the_v3_config_still_finds_every_v2_pool(devnet_v3):
    dn = devnet_v3
    cfg = load_config(dn.config_path)
    async with RpcClient(dn.rpc) as client:
        _, pools = await discover(
            RpcPool([client], hedge=False), cfg.dex, [*cfg.tokens.base, *cfg.tokens.allow]
        )
    found = {(p.address, p.dex) for p in pools}
    assert {(p.address, p.dex) for p in dn.pools} <= found


async def test_the_simulator_trades_the_seeded_plan_on_the_v3_pools(devnet_v3):
    dn = devnet_v3
    start = await dn.block_number()
    heads = {p.address: await dn.v3.read_head(p) for p in dn.v3.pools}
    stats = await run_simulator(dn, seed=5, mine=True, max_rounds=6, v3_swaps_per_block=2)
    assert stats.failed == 0
    logs = await dn.call(
        "eth_getLogs",
        [
            {
                "fromBlock": hex(start + 1),
                "toBlock": "latest",
                "address": [p.address for p in dn.v3.pools],
                "topics": [SWAP_TOPIC],
            }
        ],
    )
    logs.sort(key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))
    swapped = []
    for log in logs:
        amount0, amount1, *_ = decode_words(
            ["int256", "int256", "uint160", "uint128", "int24"], log["data"]
        )
        swapped.append((log["address"].lower(), amount0 > 0, max(amount0, amount1)))
    planned = plan_v3_swaps(dn.v3, dn.plan, 5, 12)
    assert swapped == [(s.pool.lower(), s.zero_for_one, s.amount_in) for s in planned]
    moved = [p for p in dn.v3.pools if await dn.v3.read_head(p) != heads[p.address]]
    assert moved  # the prices drift


async def test_the_demo_executor_trusts_the_devnet_v3_factory(devnet_v3):
    dn = devnet_v3
    executor = await deploy_funded_executor(dn)  # install_executor's deployment (no config write)
    (factory,) = decode_words(["address"], await dn.eth_call(executor, calldata("v3_factory()")))
    assert factory.lower() == dn.v3.factory.lower()


def test_the_devnet_description_names_the_v3_side(devnet_v3, devnet):
    """What ``arb-appliance devnet`` prints: the V3 factory, helper, quoter and pools."""
    doc = devnet_v3.to_json()["v3"]
    assert doc["factory"] == devnet_v3.v3.factory
    assert {p["address"] for p in doc["pools"]} == {p.address for p in devnet_v3.v3.pools}
    assert "v3" not in devnet.to_json()
