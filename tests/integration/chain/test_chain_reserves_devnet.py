"""Reserves and discovery against real Uniswap V2 pairs on Anvil."""

from __future__ import annotations

from pathlib import Path

import pytest
from chain_helpers import pool_of

from appliance.chain.discovery import discover, pairs_created
from appliance.chain.reserves import fetch_reserves_by_logs, fetch_reserves_full
from appliance.config import DexConfig
from appliance.devnet import run_simulator

pytestmark = pytest.mark.devnet


def dex_configs(dn):
    return [DexConfig(name=d.name, factory=d.factory, fee_bps=d.fee_bps) for d in dn.dexes]


async def test_full_refresh_matches_the_pairs(devnet):
    async with pool_of(devnet.rpc) as rpc:
        head = await rpc.get_block("latest")
        by_batch = await fetch_reserves_full(rpc, head.number, devnet.pools, chunk=7)
        by_hash = await fetch_reserves_full(rpc, head.hash, devnet.pools)
    assert by_batch == by_hash == await devnet.all_reserves()
    assert len(by_batch) == len(devnet.pools)


async def test_sync_logs_and_full_refresh_agree_over_500_blocks(devnet):
    pools = devnet.pools
    async with pool_of(devnet.rpc) as rpc:
        start = (await rpc.get_block("latest")).number
        state = await fetch_reserves_full(rpc, start, pools)
        stats = await run_simulator(devnet, seed=11, mine=True, max_rounds=500, swaps_per_block=2)
        end = (await rpc.get_block("latest")).number
        assert end - start >= 500 and stats.sent > 0
        changed_blocks = 0
        for number in range(start + 1, end + 1):
            if number % 2:
                block = await rpc.get_block(number)
                logs = await fetch_reserves_by_logs(rpc, block.hash, pools, chunk=10)
            else:
                logs = await fetch_reserves_by_logs(rpc, number, pools)
            changed_blocks += bool(logs)
            state.update(logs)
            full = await fetch_reserves_full(rpc, number, pools)
            assert state == full, f"block {number}"
    assert changed_blocks >= 400  # the simulator really traded


async def test_discovery_finds_every_devnet_pool(devnet):
    tokens = [t.address for t in devnet.tokens.values()]
    async with pool_of(devnet.rpc) as rpc:
        infos, pools = await discover(rpc, dex_configs(devnet), tokens)
    assert set(pools) == set(devnet.pools)
    by_address = {t.address: t for t in infos}
    for token in devnet.tokens.values():
        if any(token.address in (p.token0, p.token1) for p in devnet.pools):
            assert by_address[token.address] == token


async def test_enumerating_small_factories_finds_the_same_pools(devnet, monkeypatch):
    """allPairs enumeration (chosen for factories with few pairs) equals the getPair scan."""
    import appliance.market.kinds.uniswap_v2 as uniswap_v2

    tokens = [t.address for t in devnet.tokens.values()]
    async with pool_of(devnet.rpc) as rpc:
        scanned = await discover(rpc, dex_configs(devnet), tokens)
        monkeypatch.setattr(uniswap_v2, "ENUMERATE_FACTOR", 0)  # always enumerate
        enumerated = await discover(rpc, dex_configs(devnet), tokens)
        # a watched-token subset: enumeration must still drop pools with an unwatched token
        subset = await discover(rpc, dex_configs(devnet), tokens[:3])
    assert set(enumerated[1]) == set(scanned[1]) == set(devnet.pools)
    assert set(enumerated[0]) == set(scanned[0])
    assert subset[1] and all({p.token0, p.token1} <= set(tokens[:3]) for p in subset[1])


async def test_new_pairs_come_from_pair_created_logs(devnet):
    from eth_abi import encode

    from appliance.devnet._abi import calldata

    existing = {(p.dex, frozenset((p.token0, p.token1))) for p in devnet.pools}
    tokens = [t.address for t in devnet.tokens.values()]
    dex = devnet.dexes[0]
    missing = next(
        (a, b)
        for i, a in enumerate(tokens)
        for b in tokens[i + 1 :]
        if (dex.name, frozenset((a, b))) not in existing
    )
    async with pool_of(devnet.rpc) as rpc:
        before = await rpc.block_number()
        await devnet.send_tx(
            "deployer", dex.factory, calldata("createPair(address,address)", *missing)
        )
        created = await pairs_created(
            rpc, dex_configs(devnet), tokens, from_block=before + 1, to_block="latest"
        )
        assert len(created) == 1
        pool = created[0]
        assert pool.dex == dex.name and {pool.token0, pool.token1} == set(missing)
        got = await rpc.eth_call(
            dex.factory, bytes.fromhex("e6a43905") + encode(["address", "address"], list(missing))
        )
        assert got[12:32].hex() == pool.address[2:].lower()
        _, again = await discover(rpc, dex_configs(devnet), tokens)
        assert pool in again  # discovery sees it too; an empty pair is the market's to skip
        assert await fetch_reserves_full(rpc, "latest", [pool]) == {pool.address: (0, 0)}


async def test_full_refresh_through_aggregate3_matches_the_batch(devnet):
    import vyper

    source = (Path(__file__).parent / "aggregate3_stub.vy").read_text()
    compiled = vyper.compile_code(source, output_formats=["bytecode", "abi"])
    multicall = await devnet.deploy("deployer", compiled["bytecode"], compiled["abi"])
    not_a_pair = devnet.address_of("competitor")  # no code: getReserves "succeeds" with no data
    pools = [*devnet.pools, not_a_pair]
    async with pool_of(devnet.rpc) as rpc:
        head = await rpc.get_block("latest")
        via_multicall = await fetch_reserves_full(
            rpc, head.hash, pools, multicall=multicall, chunk=10
        )
        via_batch = await fetch_reserves_full(rpc, head.number, pools)
    assert via_multicall == via_batch == await devnet.all_reserves()
    assert not_a_pair not in via_multicall
