"""On the real devnet: a competitor front-runs the appliance (same block, higher tip), its trades
revert; after 5 reverts the trade breaker stops all sending; a daily-loss limit stops trading;
a restart keeps both. Risk and execution run as their real Trio tasks, wired by channels."""

from __future__ import annotations

import dataclasses
import time

import pytest
import trio

from appliance.chain.rpc import RpcClient
from appliance.config import AppConfig, load_config
from appliance.devnet import Devnet
from appliance.devnet._abi import calldata
from appliance.events import (
    BlockSeen,
    Candidate,
    CandidatesFound,
    Leg,
    OrderRejected,
    TradeStatus,
    TradeUpdated,
)
from appliance.execution import deploy_executor, load_signer, run_execution
from appliance.market.v2math import get_amount_out
from appliance.modes import Mode
from appliance.risk import HealthReported, RiskStateFile, run_risk
from appliance.safety import SafetyLatch

pytestmark = pytest.mark.devnet

ETH = 10**18
FINAL = {TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED}
CYCLE = (("sushiswap", "WETH", "USDC"), ("uniswap", "USDC", "WETH"))


# ------------------------------------------------------------------ the market
def _leg(dn: Devnet, dex: str, a: str, b: str) -> Leg:
    pool = dn.pool(dex, a, b)
    return Leg(pool.address, dn.token(a).address, dn.token(b).address, pool.fee_bps)


async def _candidate(dn: Devnet) -> Candidate:
    """The best input of the WETH→USDC→WETH cycle at the head, by the pools' own arithmetic."""
    legs = tuple(_leg(dn, *spec) for spec in CYCLE)
    reserves = []
    for lg in legs:
        r0, r1 = await dn.reserves(lg.pool)
        reserves.append((r0, r1) if int(lg.token_in, 16) < int(lg.token_out, 16) else (r1, r0))

    def out(x: int) -> list[int]:
        amounts = []
        for lg, (r_in, r_out) in zip(legs, reserves, strict=True):
            x = get_amount_out(x, r_in, r_out, lg.fee_bps) if x > 0 else 0
            amounts.append(x)
        return amounts

    lo, hi = 1, min(reserves[0][0] // 2, 10 * ETH)
    while hi - lo > 2:
        m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
        if out(m1)[-1] - m1 < out(m2)[-1] - m2:
            lo = m1
        else:
            hi = m2
    amount_in = max(range(lo, hi + 1), key=lambda x: out(x)[-1] - x)
    amounts = out(amount_in)
    return Candidate(
        block=await dn.block_number(),
        legs=legs,
        base_token=dn.weth,
        amount_in=amount_in,
        amount_out=amounts[-1],
        gas_estimate=250_000,
        gas_cost=250_000 * 3 * 10**9,
        amounts=tuple(amounts),
    )


async def _front_run(dn: Devnet) -> str:
    """The competitor takes the dislocation back through the router, unmined, tip 50 gwei."""
    return await dn.swap(
        "uniswap", "USDC", "WETH", 200_000 * 10**6, account="competitor", mine=False, tip_gwei=50
    )


async def _head(dn: Devnet) -> BlockSeen:
    b = await dn.call("eth_getBlockByNumber", ["latest", False])
    return BlockSeen(
        int(b["number"], 16),
        b["hash"],
        b["parentHash"],
        int(b["timestamp"], 16),
        int(b.get("baseFeePerGas", "0x0"), 16),
    )


async def _nonce(dn: Devnet) -> int:
    return int(
        await dn.call("eth_getTransactionCount", [dn.accounts["appliance"].address, "pending"]), 16
    )


async def _setup(dn: Devnet, tmp_path, **risk) -> AppConfig:
    signer = load_signer(dn.key_file)
    cfg = load_config(dn.config_path)
    await dn.set_automine(True)
    try:
        async with RpcClient(dn.rpc) as client:
            executor = await deploy_executor(client, signer, cfg.execution)
        await dn.send_tx(
            "appliance", dn.weth, calldata("transfer(address,uint256)", executor, 50 * ETH)
        )
        await dn.swap("uniswap", "USDC", "WETH", 1, account="competitor")  # its router approval
    finally:
        await dn.set_automine(False)
    risk_cfg = dataclasses.replace(
        cfg.risk,
        max_trade_wei=10 * ETH,
        max_orders_per_block=4,
        max_pending_trades=4,
        **risk,
    )
    return dataclasses.replace(
        cfg,
        strategy=dataclasses.replace(cfg.strategy, mode="live", native_token=dn.weth),
        account=dataclasses.replace(cfg.account, executor=executor),
        execution=dataclasses.replace(cfg.execution, receipt_poll_s=0.02),
        storage=dataclasses.replace(cfg.storage, data_dir=tmp_path),
        risk=risk_cfg,
    )


# ------------------------------------------------------------------ the wiring
class Appliance:
    """risk + execution as in the supervisor: candidates → risk → orders → execution → results
    → risk (and the test)."""

    def __init__(self, dn: Devnet, cfg: AppConfig, tmp_path) -> None:
        self.dn, self.cfg = dn, cfg
        self.store = RiskStateFile.in_dir(tmp_path)
        self.latch = SafetyLatch(tmp_path)
        self.cand_send, self.cand_recv = trio.open_memory_channel(8)
        self.inputs_send, self.inputs_recv = trio.open_memory_channel(8)
        self.orders_send, self.orders_recv = trio.open_memory_channel(8)
        self.exec_send, self.exec_recv = trio.open_memory_channel(64)
        self.results_send, self.results_recv = trio.open_memory_channel(64)
        self.records_send, self.records_recv = trio.open_memory_channel(256)
        self.updates: list[TradeUpdated] = []
        self.rejections: list[OrderRejected] = []
        self.signed: list[TradeUpdated] = []

    async def _write_ahead(self, update: TradeUpdated) -> None:
        if update.status is TradeStatus.SIGNED:  # final rows are written ahead too
            self.signed.append(update)

    async def _tee(self) -> None:
        async for update in self.exec_recv:
            self.updates.append(update)
            await self.results_send.send(update)

    async def _records(self) -> None:
        async for record in self.records_recv:
            if isinstance(record, OrderRejected):
                self.rejections.append(record)

    async def start(self, nursery: trio.Nursery):
        nursery.start_soon(self._tee)
        nursery.start_soon(self._records)
        await nursery.start(
            lambda task_status: run_execution(
                self.cfg,
                RpcClient(self.cfg.chain.rpc[0]),
                self.orders_recv,
                self.exec_send,
                latch=self.latch,
                write_ahead=self._write_ahead,
                task_status=task_status,
            )
        )
        self.engine = await nursery.start(
            lambda task_status: run_risk(
                self.cfg,
                self.cand_recv,
                self.results_recv,
                self.orders_send,
                self.records_send,
                latch=self.latch,
                state_file=self.store,
                inputs_recv=self.inputs_recv,
                inventory={self.dn.weth: 50 * ETH},
                tick_s=0.05,
                task_status=task_status,
            )
        )
        await self.inputs_send.send(HealthReported(synced=True, healthy=True))
        return self.engine

    async def offer(self, candidate: Candidate) -> None:
        await self.inputs_send.send(await _head(self.dn))
        await self.cand_send.send(
            CandidatesFound(candidate.block, (candidate,), seen_at=time.monotonic())
        )

    async def until(self, statuses: set[TradeStatus]) -> TradeUpdated:
        with trio.fail_after(30):
            while True:
                for u in self.updates:
                    if u.status in statuses:
                        self.updates.remove(u)
                        return u
                await trio.sleep(0.01)

    async def settled(self, n: int) -> None:
        """Until risk has applied ``n`` settled trades."""
        with trio.fail_after(30):
            while self.engine.breakers.consecutive_failures < n:
                await trio.sleep(0.01)

    async def rejected(self, n: int) -> OrderRejected:
        with trio.fail_after(30):
            while len(self.rejections) < n:
                await trio.sleep(0.01)
        return self.rejections[n - 1]


async def _front_run_round(app: Appliance) -> TradeUpdated:
    dn = app.dn
    await dn.swap("uniswap", "WETH", "USDC", 60 * ETH, account="simulator")  # the dislocation
    await app.offer(await _candidate(dn))
    sent = await app.until({TradeStatus.SENT, TradeStatus.DROPPED})
    assert sent.status is TradeStatus.SENT, sent.reason
    await _front_run(dn)
    await dn.mine()  # competitor first (higher tip), then the appliance: it reverts
    final = await app.until(FINAL)
    assert final.status is TradeStatus.REVERTED, final
    return final


async def test_front_running_opens_the_trade_breaker_and_a_restart_keeps_it(devnet, tmp_path):
    dn = devnet
    cfg = await _setup(
        dn, tmp_path, consecutive_failures=5, daily_loss_wei=10**24, session_loss_wei=10**24
    )
    app = Appliance(dn, cfg, tmp_path)
    async with trio.open_nursery() as nursery:
        engine = await app.start(nursery)
        for i in range(1, 6):
            await _front_run_round(app)
            await app.settled(i)
        assert engine.breakers.states["trade"] == "open" and engine.mode is Mode.PAUSED
        # a new dislocation in the very block of the 5th revert: nothing is sent any more
        nonce = await _nonce(dn)
        await app.offer(await _candidate(dn))
        assert (await app.rejected(1)).reason == "breaker_open"
        await dn.swap("uniswap", "WETH", "USDC", 60 * ETH, account="simulator")
        await app.offer(await _candidate(dn))
        assert (await app.rejected(2)).reason == "breaker_open"
        assert await _nonce(dn) == nonce
        assert len(app.signed) == 5
        nursery.cancel_scope.cancel()

    # restart (a new process: new latch object, state from the file)
    again = Appliance(dn, cfg, tmp_path)
    async with trio.open_nursery() as nursery:
        engine = await again.start(nursery)
        assert engine.breakers.states["trade"] == "open" and engine.mode is Mode.PAUSED
        await again.offer(await _candidate(dn))
        assert (await again.rejected(1)).reason == "breaker_open"
        assert again.signed == []
        nursery.cancel_scope.cancel()


async def test_daily_loss_limit_stops_trading_and_a_restart_keeps_it(devnet, tmp_path):
    dn = devnet
    # a revert costs ~ 0.0002 ETH of gas: the first one reaches a 1-gwei daily limit
    cfg = await _setup(
        dn, tmp_path, consecutive_failures=100, daily_loss_wei=10**9, session_loss_wei=10**24
    )
    app = Appliance(dn, cfg, tmp_path)
    async with trio.open_nursery() as nursery:
        engine = await app.start(nursery)
        final = await _front_run_round(app)
        with trio.fail_after(30):
            while engine.breakers.states["daily"] != "open":
                await trio.sleep(0.01)
        assert engine.breakers.pnl_today == final.net_profit < 0
        assert engine.mode is Mode.PAUSED
        await dn.swap("uniswap", "WETH", "USDC", 60 * ETH, account="simulator")
        await app.offer(await _candidate(dn))
        assert (await app.rejected(1)).reason == "breaker_open"
        nursery.cancel_scope.cancel()

    again = Appliance(dn, cfg, tmp_path)
    async with trio.open_nursery() as nursery:
        engine = await again.start(nursery)
        assert (
            engine.breakers.states["daily"] == "open"
            and engine.breakers.pnl_today == final.net_profit
        )
        await again.offer(await _candidate(dn))
        assert (await again.rejected(1)).reason == "breaker_open"
        assert again.signed == []
        nursery.cancel_scope.cancel()
