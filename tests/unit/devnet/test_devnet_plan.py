"""The market plan, the swap stream and the small helpers: pure, no Anvil."""

from __future__ import annotations

import itertools
import json
import os
import stat

import pytest

from appliance.devnet import (
    CANONICAL_INIT_CODE_HASH,
    DEX_NAMES,
    DevAccount,
    check_init_code_hash,
    pair_address,
    plan_market,
)
from appliance.devnet._abi import calldata, create_address
from appliance.devnet._market import MAX_DEVIATION, needed_per_token
from appliance.devnet.simulator import MAX_FRACTION, MIN_FRACTION, swap_stream
from appliance.events import PoolInfo


def _price(plan, pool) -> float:
    """Price of ``a`` in ``b`` implied by the pool, relative to the reference table."""
    a, b = plan.token(pool.a), plan.token(pool.b)
    implied = (pool.amount_b / 10**b.decimals) / (pool.amount_a / 10**a.decimals)
    return implied / (a.price_usd / b.price_usd)


def test_plan_is_deterministic_per_seed():
    assert plan_market(3, 40) == plan_market(3, 40)
    assert plan_market(3, 40) != plan_market(4, 40)


def test_core_market_shape():
    plan = plan_market(1)
    decimals = {t.decimals for t in plan.tokens}
    assert {6, 18} <= decimals
    assert len(plan.tokens) - 1 >= 5  # at least five ERC-20s besides WETH
    assert len(plan.pools) >= 10
    assert {p.dex for p in plan.pools} == set(range(len(DEX_NAMES)))


def test_pool_prices_stay_near_the_reference_table():
    plan = plan_market(9, 100)
    for pool in plan.pools:
        assert abs(_price(plan, pool) - 1) <= MAX_DEVIATION + 1e-6, pool


def test_two_pool_and_triangle_cycles_exist():
    plan = plan_market(1)
    pairs = {}
    for p in plan.pools:
        pairs.setdefault(frozenset((p.a, p.b)), set()).add(p.dex)
    assert any(len(dexes) >= 2 for dexes in pairs.values())  # same pair on two DEXes
    triangles = [
        (x, y)
        for x, y in itertools.combinations({s for pair in pairs for s in pair} - {"WETH"}, 2)
        if frozenset(("WETH", x)) in pairs
        and frozenset(("WETH", y)) in pairs
        and frozenset((x, y)) in pairs
    ]
    assert triangles, "no WETH triangle in the plan"


@pytest.mark.parametrize("extra", [0, 1, 5, 500])
def test_extra_pools_are_exactly_added(extra):
    assert len(plan_market(1, extra).pools) == len(plan_market(1).pools) + extra


def test_negative_extra_pools_rejected():
    with pytest.raises(ValueError, match="-1"):
        plan_market(1, -1)


def test_needed_sums_the_pools():
    plan = plan_market(2)
    need = needed_per_token(plan)
    assert need["WETH"] == sum(p.amount_a for p in plan.pools if p.a == "WETH") + sum(
        p.amount_b for p in plan.pools if p.b == "WETH"
    )
    assert all(isinstance(v, int) and v > 0 for v in need.values())


def _fake_pools(n: int):
    pools = [
        PoolInfo(
            address=f"0x{i:040x}",
            dex=DEX_NAMES[i % 3],
            token0=f"0x{1000 + i:040x}",
            token1=f"0x{2000 + i:040x}",
            fee_bps=30,
        )
        for i in range(n)
    ]
    reserves = {p.address: (10**21 + i, 3 * 10**12 + i) for i, p in enumerate(pools)}
    return pools, reserves


def test_swap_stream_is_deterministic_per_seed():
    pools, reserves = _fake_pools(12)
    first = list(itertools.islice(swap_stream(pools, reserves, 5), 200))
    again = list(itertools.islice(swap_stream(pools, reserves, 5), 200))
    other = list(itertools.islice(swap_stream(pools, reserves, 6), 200))
    assert first == again
    assert first != other


def test_swap_sizes_and_directions():
    pools, reserves = _fake_pools(4)
    swaps = list(itertools.islice(swap_stream(pools, reserves, 1), 400))
    by_pool = {p.address: p for p in pools}
    directions = set()
    for s in swaps:
        pool = by_pool[s.pool]
        r0, r1 = reserves[s.pool]
        reserve_in = r0 if s.token_in == pool.token0 else r1
        directions.add(s.token_in == pool.token0)
        assert {s.token_in, s.token_out} == {pool.token0, pool.token1}
        assert int(reserve_in * MIN_FRACTION) <= s.amount_in <= int(reserve_in * MAX_FRACTION) + 1
    assert directions == {True, False}


def test_create_address_matches_anvil_first_deployment():
    # the first contract deployed by Anvil's account #0 is at this well-known address
    assert (
        create_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 0)
        == "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    )


def test_pair_address_of_mainnet_weth_usdc():
    # Uniswap V2 mainnet factory, WETH/USDC pair: CREATE2 with the canonical init-code hash
    factory = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"
    usdc = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
    weth = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
    assert pair_address(factory, weth, usdc) == "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc"
    assert pair_address(factory, usdc, weth) == pair_address(factory, weth, usdc)


def test_calldata_selector():
    assert calldata("transfer(address,uint256)", "0x" + "11" * 20, 1).startswith("0xa9059cbb")


def test_npm_factory_has_the_canonical_init_code_hash():
    assert check_init_code_hash() == CANONICAL_INIT_CODE_HASH


def test_dev_account_repr_hides_the_key():
    acct = DevAccount(
        "appliance", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x59c6" + "ab" * 30
    )
    assert "0x59c6" not in repr(acct) and "ab" * 30 not in repr(acct)


def test_committed_token_artifact_equals_a_fresh_compile():
    from appliance.devnet._token import TOKEN_ARTIFACT, compile_token

    assert json.loads(TOKEN_ARTIFACT.read_text()) == compile_token()


def test_write_key_is_0600_from_the_start(tmp_path):
    from appliance.devnet._config_file import write_key

    old = os.umask(0)
    try:
        path = write_key(tmp_path, "0x" + "12" * 32)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == "0x" + "12" * 32
