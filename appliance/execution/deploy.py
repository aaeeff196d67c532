"""Deploying the executor from the committed artifact with the trading key (its owner).

The constructor takes the V3 factory whose pools V3 legs may use and its pool init-code hash
(the executor checks every V3 pool by CREATE2 before calling it); without a ``uniswap_v3`` DEX
in the config the factory is the zero address and a V3 leg reverts.
"""

from __future__ import annotations

import trio
from eth_abi import encode
from eth_utils import to_checksum_address

from appliance.chain.pool import RpcPool
from appliance.chain.rpc import RpcClient
from appliance.config import DexConfig, ExecutionConfig
from appliance.execution.artifact import load_artifact
from appliance.execution.errors import ExecutionError, ExecutorIncompatible
from appliance.execution.fees import initial_fees
from appliance.execution.keys import Signer
from appliance.execution.pipeline import Head
from appliance.execution.rpc import as_pool

__all__ = ["UNISWAP_V3_POOL_INIT_CODE_HASH", "constructor_args", "deploy_executor", "v3_factory_of"]

#: keccak256 of the UniswapV3Pool creation code (v3-core 1.0.1), as the periphery hardcodes it
UNISWAP_V3_POOL_INIT_CODE_HASH = (
    "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"
)
_NO_FACTORY = "0x" + "00" * 20


def v3_factory_of(dexes: tuple[DexConfig, ...]) -> str | None:
    """The one V3 factory of ``dexes`` (None without a ``uniswap_v3`` DEX).

    Raises:
        ExecutorIncompatible: several different V3 factories (one executor trusts one).
    """
    factories = sorted({d.factory for d in dexes if d.kind == "uniswap_v3"})
    if len(factories) > 1:
        names = ", ".join(d.name for d in dexes if d.kind == "uniswap_v3")
        raise ExecutorIncompatible(
            f"the executor trusts one V3 factory, the config lists {len(factories)} ({names})"
        )
    return factories[0] if factories else None


def constructor_args(
    v3_factory: str | None, v3_pool_init_code_hash: str = UNISWAP_V3_POOL_INIT_CODE_HASH
) -> bytes:
    """The ABI-encoded ``__init__(v3_factory, v3_pool_init_code_hash)`` arguments."""
    code_hash = bytes.fromhex(v3_pool_init_code_hash.removeprefix("0x"))
    if len(code_hash) != 32:
        raise ValueError(f"not a 32-byte init-code hash: {v3_pool_init_code_hash!r}")
    return encode(["address", "bytes32"], [v3_factory or _NO_FACTORY, code_hash])


async def deploy_executor(
    rpc: RpcPool | RpcClient,
    signer: Signer,
    ex: ExecutionConfig,
    *,
    v3_factory: str | None = None,
    v3_pool_init_code_hash: str = UNISWAP_V3_POOL_INIT_CODE_HASH,
    timeout_s: float = 120.0,
) -> str:
    """Send the creation transaction, wait for its receipt, return the contract's address.

    ``v3_factory``: the V3 factory whose pools the executor may swap on (:func:`v3_factory_of`
    the config's DEXes); None: V2 legs only.
    """
    rpc = as_pool(rpc)
    artifact = load_artifact()
    init_code = artifact.bytecode + constructor_args(v3_factory, v3_pool_init_code_hash)
    chain_id = await rpc.chain_id()
    head = Head.from_block(await rpc.get_block("latest"))
    price = await rpc.gas_price() if head.base_fee is None else None
    fees = initial_fees(ex, head.base_fee, price)
    nonce = await rpc.get_transaction_count(signer.address, "pending")
    data = "0x" + init_code.hex()
    gas = await rpc.estimate_gas({"from": signer.address, "data": data})
    tx = {
        "chainId": chain_id,
        "nonce": nonce,
        "value": 0,
        "data": init_code,
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
