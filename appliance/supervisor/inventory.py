"""Balances for risk and sizing: the executor's base tokens, and the trading account's gas."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import trio
from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector

from appliance.chain import ChainError
from appliance.config import AppConfig
from appliance.errors import ApplianceError
from appliance.events import SizingUpdated
from appliance.risk.inputs import InventoryObserved

__all__ = ["INVENTORY_EVERY_S", "run_inventory", "trading_account"]

log = logging.getLogger("appliance.supervisor")

_BALANCE_OF = function_signature_to_4byte_selector("balanceOf(address)")
INVENTORY_EVERY_S = 5.0


def trading_account(cfg: AppConfig) -> str | None:
    """The address that signs (the executor's owner), or None without a usable key (paper)."""
    if cfg.account.key_file is None:
        return None
    from appliance.execution.keys import load_signer

    try:
        return load_signer(cfg.account.key_file, where=cfg.path or "(config)").address
    except ApplianceError as exc:  # the executor reports the key itself; here gas is unknown
        log.warning("inventory: no gas balance (%s)", exc)
        return None


async def run_inventory(
    cfg: AppConfig,
    rpc: Any,
    records: trio.MemorySendChannel,
    *,
    size_caps: Callable[[], dict[str, int]],
    every_s: float = INVENTORY_EVERY_S,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Every ``every_s``, to ``records``: ``InventoryObserved`` (executor balances and gas; the bus
    routes it to risk, the metrics observe it) and ``SizingUpdated`` (for the strategy)."""
    account = trading_account(cfg)
    task_status.started()
    executor = cfg.account.executor
    while True:
        balances = await _balances(rpc, cfg.tokens.base, executor) if executor else {}
        if balances is not None:  # None: a read failed; the previous figures stay in force
            gas = await _gas_balance(rpc, account) if account else None
            await records.send(InventoryObserved(balances, gas_balance_wei=gas))
            unlimited = cfg.execution.funding == "flash"
            await records.send(SizingUpdated(size_caps(), None if unlimited else balances))
        await trio.sleep(every_s)


async def _balances(rpc: Any, tokens: tuple[str, ...], holder: str) -> dict[str, int] | None:
    """``balanceOf(holder)`` of each token, or None when any read fails."""
    data = _BALANCE_OF + bytes(12) + bytes.fromhex(holder[2:])
    balances = {}
    for token in tokens:
        try:
            (balance,) = abi_decode(["uint256"], await rpc.eth_call(token, data))
        except (ChainError, ValueError) as exc:
            log.warning("inventory: balanceOf(%s) failed: %s", token, exc)
            return None
        balances[token] = int(balance)
    return balances


async def _gas_balance(rpc: Any, account: str) -> int | None:
    try:
        return int(await rpc.get_balance(account))
    except (ChainError, ValueError) as exc:
        log.warning("inventory: eth_getBalance(%s) failed: %s", account, exc)
        return None
