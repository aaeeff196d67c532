"""Is the configured executor one this appliance can trade through? Checked once at start.

An executor deployed by an older appliance speaks an older ``execute`` ABI (its hops had no pool
kind): every trade would be dropped or revert, one by one, for a reason that says nothing of the
cause. And an executor trusts exactly one V3 factory, fixed at deployment: one that trusts
another factory than the config's ``uniswap_v3`` DEX reverts every V3 leg. Both are refused at
start with one line naming the address and the fix (redeploy with ``arb-appliance
deploy-executor``).
"""

from __future__ import annotations

from eth_utils import keccak, to_checksum_address

from appliance.chain.errors import ExecutionReverted
from appliance.chain.pool import RpcPool
from appliance.config import DexConfig
from appliance.execution.deploy import v3_factory_of
from appliance.execution.errors import ExecutorIncompatible

__all__ = ["check_executor"]

_V3_FACTORY = keccak(text="v3_factory()")[:4]
_ZERO = "0x" + "00" * 20
_REDEPLOY = "redeploy it with `arb-appliance deploy-executor` and update account.executor"


async def check_executor(rpc: RpcPool, executor: str, dexes: tuple[DexConfig, ...]) -> None:
    """Raise :class:`ExecutorIncompatible` unless ``executor`` is this version's executor and
    trusts the config's V3 factory (any, when the config has no ``uniswap_v3`` DEX).

    Chain errors (no endpoint answers) propagate: they say nothing about the executor.
    """
    want = v3_factory_of(dexes)
    try:
        out = await rpc.eth_call(executor, _V3_FACTORY)
    except ExecutionReverted:  # a contract without it (and without a permissive fallback)
        out = b""
    if len(out) != 32 or any(out[:12]):
        raise ExecutorIncompatible(
            f"account.executor {executor} is not an executor of this version (no v3_factory()):"
            f" {_REDEPLOY}"
        )
    trusted = to_checksum_address(out[12:])
    if want is not None and trusted != to_checksum_address(want):
        what = "no V3 factory" if trusted == _ZERO else f"V3 factory {trusted}"
        raise ExecutorIncompatible(
            f"account.executor {executor} trusts {what}, the config's uniswap_v3 DEX is {want}:"
            f" {_REDEPLOY}"
        )
