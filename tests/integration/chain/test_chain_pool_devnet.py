"""The typed helpers of RpcPool against Anvil with the real Uniswap V2 contracts."""

from __future__ import annotations

import pytest
from chain_helpers import pool_of
from eth_abi import encode
from eth_account import Account

from appliance.chain import ChainIdMismatch, ExecutionReverted, open_rpc_pool
from appliance.config import ChainConfig

pytestmark = pytest.mark.devnet

SWAP = bytes.fromhex("022c0d9f")  # swap(uint256,uint256,address,bytes)


async def test_open_rpc_pool_checks_the_chain_id(devnet):
    cfg = ChainConfig(chain_id=devnet.chain_id, rpc=(devnet.rpc,))
    async with open_rpc_pool(cfg) as rpc:
        assert await rpc.chain_id() == devnet.chain_id
    with pytest.raises(ChainIdMismatch, match="31337"):
        async with open_rpc_pool(ChainConfig(chain_id=1, rpc=(devnet.rpc,))):
            pass


async def test_a_secondary_on_another_chain_is_refused(devnet):
    from appliance.devnet import AnvilNode

    other = AnvilNode(chain_id=5, no_mining=True)
    await other.start_async()
    try:
        with pytest.raises(ChainIdMismatch) as info:
            async with open_rpc_pool(
                ChainConfig(chain_id=devnet.chain_id, rpc=(devnet.rpc, other.url))
            ):
                pass
        assert info.value.host == f"127.0.0.1:{other.port}" and info.value.got == 5
    finally:
        other.cleanup()


async def test_eth_call_and_revert_reason(devnet):
    pool = devnet.pools[0]
    async with pool_of(devnet.rpc) as rpc:
        head = await rpc.get_block("latest")
        data = await rpc.eth_call(pool.address, bytes.fromhex("0902f1ac"), head.number)
        assert (
            int.from_bytes(data[:32], "big"),
            int.from_bytes(data[32:64], "big"),
        ) == await devnet.reserves(pool)
        assert await rpc.eth_call(pool.address, bytes.fromhex("0902f1ac"), head.hash) == data
        call = SWAP + encode(
            ["uint256", "uint256", "address", "bytes"],
            [2**111, 0, devnet.address_of("appliance"), b""],
        )
        with pytest.raises(ExecutionReverted) as info:
            await rpc.eth_call(pool.address, call)
        assert info.value.reason == "UniswapV2: INSUFFICIENT_LIQUIDITY"
        assert rpc.health()[0].healthy  # a revert is an answer, not an endpoint failure


async def test_sign_send_and_track_a_transaction(devnet):
    account = devnet.accounts["appliance"]
    to = devnet.address_of("competitor")
    async with pool_of(devnet.rpc) as rpc:
        nonce = await rpc.get_transaction_count(account.address, "pending")
        base_fee = await rpc.base_fee()
        assert base_fee is not None and await rpc.gas_price() > 0
        tx = {"from": account.address, "to": to, "value": 12345}
        gas = await rpc.estimate_gas(tx)
        assert gas == 21_000
        signed = Account.sign_transaction(
            {
                "type": 2,
                "chainId": devnet.chain_id,
                "nonce": nonce,
                "to": to,
                "value": 12345,
                "gas": gas,
                "maxFeePerGas": 2 * base_fee + 10**9,
                "maxPriorityFeePerGas": 10**9,
            },
            account.private_key,
        )
        before = await rpc.get_balance(to)
        tx_hash = await rpc.send_raw_transaction(bytes(signed.raw_transaction))
        assert tx_hash == "0x" + bytes(signed.hash).hex()
        assert await rpc.get_transaction_receipt(tx_hash) is None  # manual mining: pending
        assert await rpc.get_transaction_count(account.address, "pending") == nonce + 1
        await devnet.mine()
        receipt = await rpc.get_transaction_receipt(tx_hash)
        assert receipt is not None and int(receipt["status"], 16) == 1
        assert await rpc.get_balance(to) == before + 12345
        blocks = await rpc.get_blocks(range(1, 4))
        assert [b.number for b in blocks] == [1, 2, 3] and blocks[1].parent_hash == blocks[0].hash
