"""The inventory task reads the trading account's gas balance from the node (issue 14.10 input):
through the supervisor's real RPC pool, against Anvil."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parent))

from sup_helpers import appliance_config

from appliance.chain import open_rpc_pool
from appliance.config import load_config
from appliance.events import SizingUpdated
from appliance.risk.inputs import InventoryObserved
from appliance.supervisor.inventory import run_inventory, trading_account

pytestmark = pytest.mark.devnet


async def test_inventory_reports_balances_and_the_signers_gas(devnet, tmp_path) -> None:
    cfg = load_config(await appliance_config(devnet, tmp_path))
    account = trading_account(cfg)
    assert account is not None
    want = int(await devnet.call("eth_getBalance", [account, "latest"]), 16)
    records_send, records_recv = trio.open_memory_channel(math.inf)
    async with open_rpc_pool(cfg.chain) as rpc, trio.open_nursery() as nursery:
        nursery.start_soon(
            lambda: run_inventory(cfg, rpc, records_send, size_caps=dict, every_s=0.1)
        )
        observed = await records_recv.receive()  # the bus routes it to risk and the metrics
        sizing = await records_recv.receive()
        nursery.cancel_scope.cancel()
    assert isinstance(observed, InventoryObserved) and isinstance(sizing, SizingUpdated)
    assert observed.gas_balance_wei == want > 0  # exact wei of the signer, not the executor
    assert set(observed.balances) == set(cfg.tokens.base)


def test_no_key_no_gas_figure(tmp_path) -> None:
    """Paper mode without a key: the gas balance is unknown (None), never a made-up zero."""
    import dataclasses

    from appliance.config import AccountConfig, AppConfig, ChainConfig, DexConfig, TokensConfig

    cfg = AppConfig(
        chain=ChainConfig(chain_id=31337, rpc=("http://127.0.0.1:8545",)),
        dex=(DexConfig(name="uni", factory="0x" + "cc" * 20),),
        tokens=TokensConfig(base=("0x" + "11" * 20,)),
    )
    assert trading_account(dataclasses.replace(cfg, account=AccountConfig())) is None
