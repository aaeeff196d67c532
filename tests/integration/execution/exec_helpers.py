"""Helpers of the execution integration tests: planted dislocations on the real devnet, exact
candidates (the pools' own integer arithmetic), configs and a pipeline harness with a journal."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import trio

from appliance.chain.rpc import RpcClient
from appliance.config import AppConfig, load_config
from appliance.devnet import Devnet
from appliance.devnet._abi import calldata
from appliance.events import Candidate, Leg, OrderApproved, TradeStatus, TradeUpdated
from appliance.execution import deploy_executor, load_signer, run_execution
from appliance.market.v2math import get_amount_out
from appliance.modes import Mode
from appliance.safety import SafetyLatch
from appliance.store.journal import Journal
from appliance.store.writer import WriteAhead

FINAL = {TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED, TradeStatus.PAPER}
GAS_ESTIMATE = 250_000
_ids = itertools.count(1)


# ------------------------------------------------------------------ one devnet, many tests
@asynccontextmanager
async def on_snapshot(dn: Devnet) -> AsyncIterator[Devnet]:
    """The devnet as it is now, given back as it was: a test's blocks, automine and pending
    transactions are undone when the block ends."""
    snap = await dn.snapshot()
    try:
        yield dn
    finally:
        await dn.set_automine(False)
        await dn.call("anvil_dropAllTransactions")  # a revert keeps the pool: a test's unmined
        await dn.revert(snap)  # trade would otherwise be mined in the next test's first block


# ------------------------------------------------------------------ cycles
def leg(dn: Devnet, dex: str, token_in: str, token_out: str) -> Leg:
    pool = dn.pool(dex, token_in, token_out)
    return Leg(
        pool=pool.address,
        token_in=dn.token(token_in).address,
        token_out=dn.token(token_out).address,
        fee_bps=pool.fee_bps,
    )


TWO_POOL = (("sushiswap", "WETH", "USDC"), ("uniswap", "USDC", "WETH"))
THREE_POOL = (("uniswap", "WETH", "USDC"), ("uniswap", "USDC", "DAI"), ("sushiswap", "DAI", "WETH"))


async def plant(dn: Devnet, hops: int) -> None:
    """Move one pool so the cycle of ``hops`` legs pays (a large simulator swap, mined)."""
    if hops == 2:
        await dn.swap("uniswap", "WETH", "USDC", 60 * 10**18, account="simulator")
    else:
        await dn.swap("sushiswap", "WETH", "DAI", 30 * 10**18, account="simulator")


def legs_for(dn: Devnet, hops: int) -> tuple[Leg, ...]:
    return tuple(leg(dn, *spec) for spec in (TWO_POOL if hops == 2 else THREE_POOL))


async def leg_reserves(dn: Devnet, legs: tuple[Leg, ...]) -> list[tuple[int, int]]:
    """(reserve_in, reserve_out) of each leg at the head."""
    out = []
    for lg in legs:
        r0, r1 = await dn.reserves(lg.pool)
        out.append((r0, r1) if int(lg.token_in, 16) < int(lg.token_out, 16) else (r1, r0))
    return out


def cycle_amounts(
    amount_in: int, legs: tuple[Leg, ...], reserves: list[tuple[int, int]]
) -> list[int]:
    amounts, amount = [], amount_in
    for lg, (r_in, r_out) in zip(legs, reserves, strict=True):
        amount = get_amount_out(amount, r_in, r_out, lg.fee_bps)
        amounts.append(amount)
    return amounts


def best_amount(legs: tuple[Leg, ...], reserves: list[tuple[int, int]]) -> int:
    """Integer ternary search of the (concave) gross profit."""
    lo, hi = 1, reserves[0][0] // 2

    def profit(x: int) -> int:
        return cycle_amounts(x, legs, reserves)[-1] - x

    while hi - lo > 2:
        m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
        if profit(m1) < profit(m2):
            lo = m1
        else:
            hi = m2
    return max(range(lo, hi + 1), key=profit)


async def make_candidate(dn: Devnet, hops: int, *, amount_in: int | None = None) -> Candidate:
    legs = legs_for(dn, hops)
    reserves = await leg_reserves(dn, legs)
    amount_in = amount_in or best_amount(legs, reserves)
    return await candidate_at_head(dn, legs, amount_in, cycle_amounts(amount_in, legs, reserves))


async def candidate_at_head(
    dn: Devnet, legs: tuple[Leg, ...], amount_in: int, amounts: list[int]
) -> Candidate:
    """The WETH cycle over ``legs`` from ``amount_in``, each leg's exact output in ``amounts``,
    at the devnet's head, with the tests' gas estimate at 3 gwei."""
    return Candidate(
        block=await dn.block_number(),
        legs=legs,
        base_token=dn.weth,
        amount_in=amount_in,
        amount_out=amounts[-1],
        gas_estimate=GAS_ESTIMATE,
        gas_cost=GAS_ESTIMATE * 3 * 10**9,
        amounts=tuple(amounts),
    )


def order_for(candidate: Candidate, mode: Mode = Mode.NORMAL) -> OrderApproved:
    return OrderApproved(candidate=candidate, mode=mode, order_id=f"test-{next(_ids)}")


# ------------------------------------------------------------------ chain setup
async def deploy_executors(
    dn: Devnet, *, inventory_weth: int = 50 * 10**18, v3_factory: str | None = None
) -> tuple[str, str]:
    """(inventory executor holding ``inventory_weth``, flash executor holding nothing), both
    trusting ``v3_factory`` if given."""
    signer = load_signer(dn.key_file)
    cfg = load_config(dn.config_path)
    await dn.set_automine(True)
    try:
        async with RpcClient(dn.rpc) as client:
            inv = await deploy_executor(client, signer, cfg.execution, v3_factory=v3_factory)
            flash = await deploy_executor(client, signer, cfg.execution, v3_factory=v3_factory)
        await dn.send_tx(
            "appliance", dn.weth, calldata("transfer(address,uint256)", inv, inventory_weth)
        )
    finally:
        await dn.set_automine(False)
    return inv, flash


def exec_config(
    dn: Devnet,
    executor: str,
    *,
    live: bool = True,
    funding: str = "inventory",
    data_dir: Path | None = None,
    **execution: Any,
) -> AppConfig:
    cfg = load_config(dn.config_path)
    ex = dataclasses.replace(cfg.execution, funding=funding, receipt_poll_s=0.02, **execution)
    storage = dataclasses.replace(cfg.storage, data_dir=data_dir) if data_dir else cfg.storage
    return dataclasses.replace(
        cfg,
        strategy=dataclasses.replace(cfg.strategy, mode="live" if live else "paper"),
        account=dataclasses.replace(cfg.account, executor=executor),
        execution=ex,
        storage=storage,
    )


# ------------------------------------------------------------------ harness
async def start_execution(
    nursery: trio.Nursery,
    cfg: AppConfig,
    rpc: Any,
    orders_recv: Any,
    results_send: Any,
    *,
    latch: SafetyLatch,
    write_ahead: Any,
    **kwargs: Any,
) -> Any:
    """run_execution started in ``nursery`` as the supervisor starts it; its handle."""
    return await nursery.start(
        lambda task_status: run_execution(
            cfg,
            rpc,
            orders_recv,
            results_send,
            latch=latch,
            write_ahead=write_ahead,
            task_status=task_status,
            **kwargs,
        )
    )


def store_write_ahead(store_send: Any) -> Any:
    """The supervisor's write-ahead: a WriteAhead request to the store task, awaited (durable
    commit acknowledged before the send)."""

    async def write_ahead(update: TradeUpdated) -> None:
        request = WriteAhead(update)
        await store_send.send(request)
        await request.wait()

    return write_ahead


class Harness:
    """run_execution in a nursery, with a real journal as the write-ahead target."""

    def __init__(self, cfg: AppConfig, journal: Journal, latch: SafetyLatch) -> None:
        self.cfg = cfg
        self.journal = journal
        self.latch = latch
        self.updates: list[TradeUpdated] = []
        self.write_ahead_rows: list[TradeUpdated] = []
        self.orders_send, self._orders_recv = trio.open_memory_channel[OrderApproved](8)
        self._results_send, self.results_recv = trio.open_memory_channel[TradeUpdated](64)

    async def send_order(self, candidate: Candidate, mode: Mode = Mode.NORMAL) -> OrderApproved:
        """Approve ``candidate`` as the risk gate would and hand it to the pipeline."""
        order = order_for(candidate, mode)
        await self.orders_send.send(order)
        return order

    async def write_ahead(self, update: TradeUpdated) -> None:
        with self.journal.transaction(durable=True):
            self.journal.upsert_trade(update)
        self.write_ahead_rows.append(update)

    async def start(self, nursery: trio.Nursery, *, rpc: Any = None, **kwargs: Any) -> Any:
        """``rpc``: the supervisor's pool (``open_rpc_pool``); default one client of the node."""
        client = rpc if rpc is not None else RpcClient(self.cfg.chain.rpc[0])
        self.pipe = await start_execution(
            nursery,
            self.cfg,
            client,
            self._orders_recv,
            self._results_send,
            latch=self.latch,
            write_ahead=self.write_ahead,
            **kwargs,
        )
        return self.pipe

    async def next_update(self) -> TradeUpdated:
        with trio.fail_after(30):
            update = await self.results_recv.receive()
        self.journal.upsert_trade(update)  # the store's job: every update lands in the journal
        self.updates.append(update)
        return update

    async def until(self, statuses: set[TradeStatus]) -> TradeUpdated:
        while True:
            update = await self.next_update()
            if update.status in statuses:
                return update


async def gas_limit_landed(dn: Devnet, cfg: AppConfig, tx_hash: str) -> tuple[int, int, int]:
    """(limit signed, receipt gasUsed, node estimate) of a mined trade, after checking the limit
    held: status 1, gasUsed below the limit, the limit at least the node's own estimate of the
    same transaction on the state before it (``eth_estimateGas``'s binary search), and derived
    (below the ``execution.gas_limit`` cap it is bounded by)."""
    tx = await dn.call("eth_getTransactionByHash", [tx_hash])
    receipt = await dn.call("eth_getTransactionReceipt", [tx_hash])
    limit, used = int(tx["gas"], 16), int(receipt["gasUsed"], 16)
    assert int(receipt["status"], 16) == 1, receipt
    before = hex(int(receipt["blockNumber"], 16) - 1)
    call = {"from": tx["from"], "to": tx["to"], "data": tx["input"]}
    estimate = int(await dn.call("eth_estimateGas", [call, before]), 16)
    assert used < limit, (used, limit)
    assert estimate <= limit < cfg.execution.gas_limit, (estimate, limit, cfg.execution.gas_limit)
    return limit, used, estimate
