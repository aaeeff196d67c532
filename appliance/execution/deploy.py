"""Deploying the executor from the committed artifact with the trading key (its owner)."""

from __future__ import annotations

import trio
from eth_utils import to_checksum_address

from appliance.chain.pool import RpcPool
from appliance.chain.rpc import RpcClient
from appliance.config import ExecutionConfig
from appliance.execution.artifact import load_artifact
from appliance.execution.errors import ExecutionError
from appliance.execution.fees import initial_fees
from appliance.execution.keys import Signer
from appliance.execution.pipeline import Head
from appliance.execution.rpc import as_pool

__all__ = ["deploy_executor"]


async def deploy_executor(
    rpc: RpcPool | RpcClient, signer: Signer, ex: ExecutionConfig, *, timeout_s: float = 120.0
) -> str:
    """Send the creation transaction, wait for its receipt, return the contract's address."""
    rpc = as_pool(rpc)
    artifact = load_artifact()
    chain_id = await rpc.chain_id()
    head = Head.from_block(await rpc.get_block("latest"))
    price = await rpc.gas_price() if head.base_fee is None else None
    fees = initial_fees(ex, head.base_fee, price)
    nonce = await rpc.get_transaction_count(signer.address, "pending")
    data = "0x" + artifact.bytecode.hex()
    gas = await rpc.estimate_gas({"from": signer.address, "data": data})
    tx = {
        "chainId": chain_id,
        "nonce": nonce,
        "value": 0,
        "data": artifact.bytecode,
        "gas": gas * 12 // 10,
        **fees.fields(),
    }
    signed = signer.sign(tx)
    await rpc.send_raw_transaction(signed.raw)
    with trio.move_on_after(timeout_s):
        while True:
            receipt = await rpc.get_transaction_receipt(signed.hash)
            if receipt is not None:
                if int(receipt["status"], 16) != 1:
                    raise ExecutionError(f"executor deployment {signed.hash} reverted")
                return to_checksum_address(receipt["contractAddress"])
            await trio.sleep(0.2)
    raise ExecutionError(f"executor deployment {signed.hash} not mined within {timeout_s:g} s")
