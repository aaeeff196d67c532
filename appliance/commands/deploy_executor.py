"""``arb-appliance deploy-executor``: deploy the executor contract with the configured key.

Prints progress, then the contract address alone on the last line (for scripts:
``addr=$(arb-appliance deploy-executor --config F | tail -1)``); put it in ``account.executor``.
"""

from __future__ import annotations

import argparse

import trio

from appliance.config import load_config
from appliance.errors import UserError

__all__ = ["main"]


def main(args: argparse.Namespace) -> int:
    from appliance.chain.errors import ChainError
    from appliance.chain.pool import RpcPool
    from appliance.chain.rpc import RpcClient
    from appliance.execution import deploy_executor, load_signer
    from appliance.execution.deploy import v3_factory_of
    from appliance.execution.errors import ExecutionError

    cfg = load_config(args.config)
    if cfg.account.key_file is None:
        raise UserError(f"{cfg.path}: account.key_file: needed to deploy the executor")
    signer = load_signer(cfg.account.key_file, where=cfg.path or args.config)
    try:
        v3_factory = v3_factory_of(cfg.dex)
    except ExecutionError as exc:
        raise UserError(f"{cfg.path}: dex: {exc}") from None

    async def deploy() -> str:
        last: Exception | None = None
        for url in cfg.chain.rpc:
            async with RpcClient(url, timeout_s=cfg.chain.request_timeout_s) as client:
                rpc = RpcPool([client], hedge=False)
                try:
                    chain_id = await rpc.chain_id()
                except ChainError as exc:
                    last = exc
                    continue
                if chain_id != cfg.chain.chain_id:
                    raise UserError(
                        f"{cfg.path}: chain.chain_id: is {cfg.chain.chain_id} but the node reports {chain_id}"
                    )
                print(
                    f"deploying the executor from {signer.address} on chain {chain_id}", flush=True
                )
                return await deploy_executor(rpc, signer, cfg.execution, v3_factory=v3_factory)
        raise UserError(f"no RPC endpoint answered ({last})")

    address = trio.run(deploy)
    print(address)
    return 0
