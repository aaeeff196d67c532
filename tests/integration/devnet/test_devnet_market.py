"""The deployed market on a real Anvil: pools, reserves, the real router, the config."""

from __future__ import annotations

import stat

import pytest
from eth_account import Account

from appliance.config import load_config
from appliance.devnet import CANONICAL_INIT_CODE_HASH, pair_address
from appliance.devnet._abi import calldata, decode_words

pytestmark = pytest.mark.devnet


def _amount_out(amount_in: int, r_in: int, r_out: int) -> int:
    fee_in = amount_in * 997
    return fee_in * r_out // (r_in * 1000 + fee_in)


async def _call_uint(dn, to: str, signature: str, *args) -> int:
    return decode_words(["uint256"], await dn.eth_call(to, calldata(signature, *args)))[0]


async def test_pools_exist_in_their_factories(devnet):
    per_factory = {}
    for pool in devnet.pools:
        per_factory[pool.dex] = per_factory.get(pool.dex, 0) + 1
        code = await devnet.call("eth_getCode", [pool.address, "latest"])
        assert len(code) > 2, f"no code at pool {pool.address}"
        got = decode_words(
            ["address"],
            await devnet.eth_call(
                devnet.dex(pool.dex).factory,
                calldata("getPair(address,address)", pool.token0, pool.token1),
            ),
        )[0]
        assert got.lower() == pool.address.lower()
    assert len(devnet.pools) >= 10
    for dex in devnet.dexes:
        assert await _call_uint(devnet, dex.factory, "allPairsLength()") == per_factory[dex.name]


async def test_pair_addresses_follow_the_canonical_init_code_hash(devnet):
    for pool in devnet.pools:
        assert (
            pair_address(
                devnet.dex(pool.dex).factory, pool.token0, pool.token1, CANONICAL_INIT_CODE_HASH
            )
            == pool.address
        )


async def test_reserves_are_what_was_deployed(devnet):
    reserves = await devnet.all_reserves()
    assert reserves == devnet.initial_reserves
    for pool in devnet.pools[:3]:
        assert await devnet.reserves(pool) == devnet.initial_reserves[pool.address]


async def test_real_router_get_amounts_out(devnet):
    pool = devnet.pool("sushiswap", "WETH", "USDC")
    r0, r1 = await devnet.reserves(pool)
    r_weth, r_usdc = (r0, r1) if pool.token0 == devnet.weth else (r1, r0)
    amounts = await devnet.amounts_out("sushiswap", 10**18, ["WETH", "USDC"])
    assert amounts == [10**18, _amount_out(10**18, r_weth, r_usdc)]
    assert 2_900 * 10**6 < amounts[1] < 3_100 * 10**6  # about the 3000 USD reference price
    # a two-hop path exercises pairFor (init-code hash hardcoded in the router) twice
    two_hop = await devnet.amounts_out("uniswap", 10**18, ["WETH", "USDC", "USDT"])
    assert len(two_hop) == 3 and two_hop[2] > 0


async def test_tokens_on_chain_match_their_info(devnet):
    decimals = set()
    for symbol, info in devnet.tokens.items():
        assert await _call_uint(devnet, info.address, "decimals()") == info.decimals
        decimals.add(info.decimals)
        (name_symbol,) = decode_words(
            ["string"], await devnet.eth_call(info.address, calldata("symbol()"))
        )
        assert name_symbol == symbol
    assert {6, 18} <= decimals and len(devnet.tokens) >= 6


async def test_accounts_are_funded(devnet):
    assert await devnet.balance("WETH", "appliance") >= 100 * 10**18
    assert await devnet.balance("USDC", "appliance") > 0
    assert await devnet.balance("ETH", "appliance") > 10**18
    for symbol in devnet.core_symbols:
        assert await devnet.balance(symbol, "simulator") > 0


async def test_swap_moves_reserves_by_the_v2_formula(devnet):
    pool = devnet.pool("uniswap", "WETH", "USDC")
    before = await devnet.reserves(pool)
    usdc_before = await devnet.balance("USDC", "competitor")
    await devnet.swap("uniswap", "WETH", "USDC", 5 * 10**18, account="competitor")
    after = await devnet.reserves(pool)
    weth_is_0 = pool.token0 == devnet.weth
    r_in, r_out = (before[0], before[1]) if weth_is_0 else (before[1], before[0])
    out = _amount_out(5 * 10**18, r_in, r_out)
    assert await devnet.balance("USDC", "competitor") - usdc_before == out
    expected = (r_in + 5 * 10**18, r_out - out)
    assert after == (expected if weth_is_0 else expected[::-1])


@pytest.mark.devnet_options(n_pools_extra=6)
async def test_extra_pools_deploy_and_trade(fresh_devnet):
    dn = fresh_devnet
    assert len(dn.pools) == 24 + 6
    extra = [s for s in dn.tokens if s.startswith("X")]
    assert extra
    reserves = await dn.all_reserves()
    assert reserves == dn.initial_reserves
    token = extra[0]
    held = await dn.balance(token, "simulator")
    await dn.swap("uniswap", token, "WETH", held // 100)  # not pre-approved: the helper approves
    assert await dn.balance(token, "simulator") == held - held // 100


def test_config_file_loads_and_matches(devnet):
    cfg = load_config(devnet.config_path)
    ws = devnet.rpc.replace("http://", "ws://")  # Anvil serves WebSocket on its HTTP port
    assert cfg.chain.chain_id == 31337 and cfg.chain.rpc == (f"{devnet.rpc}|{ws}",)
    assert [d.name for d in cfg.dex] == [d.name for d in devnet.dexes]
    assert {d.factory for d in cfg.dex} == {d.factory for d in devnet.dexes}
    assert all(d.fee_bps == 30 and d.router for d in cfg.dex)
    assert cfg.tokens.base[0] == devnet.weth
    assert devnet.tokens["USDC"].address in cfg.tokens.base
    assert set(cfg.tokens.allow) == {t.address for t in devnet.tokens.values()}
    assert cfg.strategy.mode == "paper"
    assert cfg.storage.data_dir == devnet.data_dir / "data"


def test_key_file_is_the_appliance_key_mode_0600(devnet):
    assert stat.S_IMODE(devnet.key_file.stat().st_mode) == 0o600
    key = devnet.key_file.read_text().strip()
    assert Account.from_key(key).address == devnet.accounts["appliance"].address


def test_to_json_has_addresses_and_no_keys(devnet):
    doc = devnet.to_json()
    assert {"rpc", "chain_id", "tokens", "factories", "routers", "pools", "accounts"} <= set(doc)
    text = repr(doc) + repr(devnet.accounts)
    for account in devnet.accounts.values():
        assert account.private_key[2:] not in text


async def test_snapshot_and_revert_restore_state(devnet):
    pool = devnet.pool("uniswap", "WETH", "USDT")
    snap = await devnet.snapshot()
    await devnet.swap("uniswap", "WETH", "USDT", 10**18)
    assert await devnet.reserves(pool) != devnet.initial_reserves[pool.address]
    await devnet.revert(snap)
    assert await devnet.reserves(pool) == devnet.initial_reserves[pool.address]


async def test_deploy_and_send_tx_helpers(devnet):
    from appliance.devnet._token import load_token

    abi, code = load_token()
    address = await devnet.deploy("competitor", code, abi, ("Test", "TST", 6, 1_000))
    assert await _call_uint(devnet, address, "totalSupply()") == 1_000
    receipt = await devnet.send_tx(
        "competitor",
        address,
        calldata("transfer(address,uint256)", devnet.accounts["appliance"].address, 10),
    )
    assert int(receipt["status"], 16) == 1
    assert (
        await _call_uint(
            devnet, address, "balanceOf(address)", devnet.accounts["appliance"].address
        )
        == 10
    )


async def test_manual_mining_by_default(devnet):
    head = await devnet.block_number()
    sent = await devnet.send_tx(
        "competitor", devnet.accounts["appliance"].address, value=1, mine=False
    )
    assert await devnet.call("eth_getTransactionReceipt", [sent["transactionHash"]]) is None
    assert await devnet.block_number() == head
    assert await devnet.mine() == head + 1
    assert await devnet.call("eth_getTransactionReceipt", [sent["transactionHash"]]) is not None
