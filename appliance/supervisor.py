"""The supervisor: the task tree of DESIGN.md section 3, wired with memory channels.

::

    supervisor (root nursery)
    ├── store      journal + state file (the only writer), started first: write-ahead needs it
    ├── hw         kill switch + LEDs; armed before anything can trade
    ├── metrics    Prometheus exporter (loopback)
    ├── alerts     webhooks, fed best-effort
    ├── bus        fans records out: store (never dropped), risk, market, hw, alerts, metrics
    ├── relays     market -> risk (+ journal) and execution -> bus, on channels of their own
    ├── execution  OrderApproved -> TradeUpdated (write-ahead through the store)
    ├── risk       CandidatesFound -> OrderApproved / OrderRejected, modes, breakers
    ├── market     chain events -> CandidatesFound
    ├── chain      heads, reserves, RPC health
    ├── inventory  executor balances -> risk and strategy sizing
    ├── health     synced/healthy -> risk (PAUSED until synced after an unclean stop)
    └── watchdog   READY / WATCHDOG (only while blocks are processed) / STATUS

Every producer sends to one ``records`` channel; the bus decides who sees what. Children other
than store and hw are restarted with backoff; three crashes in five minutes hold the mode at
PAUSED and raise an alert. The store and hw are not restarted: without the journal nothing can be
written ahead, and without the kill switch nothing may trade — the supervisor stops instead, and
systemd restarts it (the latch file keeps EMERGENCY across that).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import trio
from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector

from appliance.alerts import alert_for, offer_alert, run_alerts
from appliance.bus import Subscriber, run_bus
from appliance.chain import ChainError, open_rpc_pool
from appliance.chain.service import run_chain
from appliance.config import AppConfig, ConfigError
from appliance.events import (
    AlertRaised,
    BlockSeen,
    CandidatesFound,
    FaultChanged,
    KillSwitchPressed,
    KillSwitchRearmed,
    ModeChanged,
    OrderApproved,
    PoolsDiscovered,
    Priority,
    ReorgDetected,
    ReservesUpdated,
    RiskUpdated,
    RpcHealthChanged,
    SizingUpdated,
    StartupCompleted,
    TokenDenied,
    TradeUpdated,
)
from appliance.execution.service import run_execution
from appliance.metrics import Metrics, run_metrics
from appliance.modes import Mode
from appliance.pool_cache import discover_cached
from appliance.risk.inputs import HealthReported, HoldReleased, HoldRequested, InventoryObserved
from appliance.risk.state import RiskStateFile
from appliance.risk.task import run_risk
from appliance.safety import SafetyLatch
from appliance.store.journal import JOURNAL_NAME, Journal
from appliance.store.writer import STORAGE_FAULT, SystemSampled, WriteAhead, run_store
from appliance.strategy.task import run_market
from appliance.supervision import supervised
from appliance.sysinfo import CpuMeter, sample
from appliance.watchdog import format_status, run_watchdog
from hw import make_pin_factory, run_hw

__all__ = ["Supervisor", "run_supervisor"]

log = logging.getLogger("appliance.supervisor")

_BALANCE_OF = function_signature_to_4byte_selector("balanceOf(address)")
INVENTORY_EVERY_S = 5.0
SYSTEM_EVERY_S = 5.0


@dataclass
class Supervisor:
    """What ``run_supervisor`` hands to ``task_status.started``: handles for signals and tests."""

    latch: SafetyLatch
    kill_switch: Any  # hw.KillSwitch: SIGUSR1 takes the same path as the GPIO press
    metrics_url: str | None
    state_path: Any
    journal_path: Any
    risk: Any = None  # the RiskEngine: read-only for others (its mode, caps, snapshot)
    ready: trio.Event = field(default_factory=trio.Event)


@dataclass
class _Live:
    """Figures the supervisor's own small tasks read (written only by the bus observer)."""

    head: BlockSeen | None = None
    head_seen_at: float = 0.0
    mode: Mode = Mode.PAUSED
    pnl_today: int = 0
    healthy: bool = False
    blocks: int = 0

    def observe(self, event: Any) -> None:
        if isinstance(event, BlockSeen):
            self.head, self.head_seen_at = event, time.monotonic()
        elif isinstance(event, ReorgDetected):
            self.head, self.head_seen_at = event.new_head, time.monotonic()
        elif isinstance(event, ReservesUpdated):
            self.blocks += 1
        elif isinstance(event, ModeChanged):
            self.mode = event.new
        elif isinstance(event, RiskUpdated):
            self.pnl_today = event.pnl_today
        elif isinstance(event, RpcHealthChanged):
            self.healthy = any(e.healthy and not e.lagging for e in event.endpoints)


async def run_supervisor(
    cfg: AppConfig,
    *,
    latch: SafetyLatch | None = None,
    pin_factory: Any = None,
    env: Mapping[str, str] = os.environ,
    task_status: trio.TaskStatus[Supervisor] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the appliance until cancelled (SIGTERM) or a non-restartable child fails."""
    data_dir, runtime_dir = cfg.storage.data_dir, cfg.storage.runtime_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    runtime_dir.mkdir(parents=True, exist_ok=True)
    latch = latch if latch is not None else SafetyLatch(data_dir)
    if latch.tripped:
        log.warning(
            "kill switch latch present (%s): starting in EMERGENCY", latch.info.get("reason")
        )
    if pin_factory is None and cfg.hardware.enabled:
        pin_factory, notice = make_pin_factory(env, runtime_dir=runtime_dir)
        if notice:
            log.warning("%s", notice)
    if cfg.metrics.enabled and cfg.metrics.host not in ("127.0.0.1", "::1", "localhost"):
        log.warning("metrics are served on %s, beyond loopback", cfg.metrics.host)
    live = _Live()
    metrics = Metrics(latch=latch, data_dir=data_dir)

    records_send, records_recv = trio.open_memory_channel[Any](4096)
    store_send, store_recv = trio.open_memory_channel[Any](4096)
    market_send, market_recv = trio.open_memory_channel[Any](256)
    risk_in_send, risk_in_recv = trio.open_memory_channel[Any](256)
    results_send, results_recv = trio.open_memory_channel[Any](256)
    hw_send, hw_recv = trio.open_memory_channel[Any](64)
    alerts_send, alerts_recv = trio.open_memory_channel[Any](256)
    found_send, found_recv = trio.open_memory_channel[CandidatesFound](4)
    cand_send, cand_recv = trio.open_memory_channel[CandidatesFound](4)
    orders_send, orders_recv = trio.open_memory_channel[Any](4)
    exec_out_send, exec_out_recv = trio.open_memory_channel[Any](256)

    def on_unstable(name: str, exc: BaseException) -> None:
        text = f"subsystem {name} crashed repeatedly ({type(exc).__name__}: {exc}); trading paused"
        log.error("%s", text)
        _offer(risk_in_send, HoldRequested(f"crashes:{name}", Mode.PAUSED, text, "supervisor"))
        _offer(hw_send, FaultChanged(f"crashes:{name}", True, text))
        _offer(records_send, AlertRaised(time.time(), Priority.CRITICAL, f"crashes:{name}", text))

    def to_alerts(event: Any) -> None:
        if isinstance(event, AlertRaised):
            offer_alert(alerts_send, event)  # webhooks (if any); the store journals it
        elif (alert := alert_for(event, at=time.time())) is not None:
            # back onto the bus: journaled (the screen's Alerts panel, with or without
            # webhooks) and counted like any alert; this observer then offers it to the webhooks
            _offer(records_send, alert)

    subscribers = [
        Subscriber("store", store_send, must=True),
        Subscriber(
            "market",
            market_send,
            (
                BlockSeen,
                ReorgDetected,
                ReservesUpdated,
                PoolsDiscovered,
                TokenDenied,
                SizingUpdated,
                OrderApproved,
                TradeUpdated,
            ),
            must=True,
        ),
        Subscriber("risk-results", results_send, (TradeUpdated,), must=True),
        Subscriber(
            "risk-inputs",
            risk_in_send,
            (BlockSeen, RpcHealthChanged, TokenDenied, KillSwitchPressed, KillSwitchRearmed),
            must=True,
        ),
        Subscriber(
            "hw",
            hw_send,
            (ModeChanged, StartupCompleted, FaultChanged, RpcHealthChanged, RiskUpdated),
        ),
    ]

    def storage_hold(event: Any) -> None:  # the store's disk-full fault pauses trading
        if isinstance(event, FaultChanged) and event.name == STORAGE_FAULT:
            hold = HoldRequested(event.name, Mode.PAUSED, event.detail, "store")
            _offer(
                risk_in_send,
                hold if event.active else HoldReleased(event.name, event.detail, "store"),
            )

    observers = [live.observe, metrics.observe, to_alerts, storage_hold]

    async with open_rpc_pool(cfg.chain) as rpc:
        token_infos, pools, discovered = await discover_cached(rpc, cfg)
        log.info(
            "discovered %d pools of %d tokens on %d DEXes",
            len(pools),
            len(token_infos),
            len(cfg.dex),
        )
        async with trio.open_nursery() as nursery:
            store = await nursery.start(
                partial(
                    run_store,
                    cfg,
                    store_recv,
                    n_pools_hint=max(len(pools), 16),
                    events_send=records_send.clone(),
                )
            )
            hw = await nursery.start(
                partial(
                    run_hw,
                    cfg.hardware,
                    latch=latch,
                    pin_factory=pin_factory,
                    mode_recv=hw_recv,
                    events_send=records_send.clone(),
                    healthy=lambda: live.healthy,
                )
            )
            server = None
            if cfg.metrics.enabled:
                server = await nursery.start(run_metrics, cfg.metrics, metrics)
            alert_stats = await nursery.start(run_alerts, cfg.alerts, alerts_recv)
            metrics.watch_alerts(alert_stats.snapshot)
            await nursery.start(partial(run_bus, records_recv, subscribers, observers))
            await records_send.send(PoolsDiscovered(token_infos, pools))
            await records_send.send(discovered)  # the cache key, after the pools it vouches for

            async def write_ahead(trade: TradeUpdated) -> None:
                request = WriteAhead(trade)
                await records_send.send(request)
                await request.wait()

            await nursery.start(partial(run_relay, exec_out_recv, records_send))
            await nursery.start(partial(run_relay, found_recv, cand_send, records_send))
            await nursery.start(
                partial(
                    supervised,
                    "execution",
                    run_execution,
                    cfg,
                    rpc,
                    orders_recv,
                    exec_out_send,
                    on_unstable=on_unstable,
                    latch=latch,
                    write_ahead=write_ahead,
                    pending=partial(_pending_trades, data_dir),  # re-read at each (re)start
                )
            )
            engine = await nursery.start(
                partial(
                    supervised,
                    "risk",
                    run_risk,
                    cfg,
                    cand_recv,
                    results_recv,
                    orders_send,
                    records_send,
                    on_unstable=on_unstable,
                    latch=latch,
                    state_file=RiskStateFile.in_dir(data_dir),
                    inputs_recv=risk_in_recv,
                )
            )
            detector = await nursery.start(
                partial(
                    supervised,
                    "market",
                    run_market,
                    cfg,
                    market_recv,
                    found_send,
                    records_send,
                    on_unstable=on_unstable,
                    eth_call=rpc.eth_call,
                )
            )
            await nursery.start(
                partial(
                    supervised,
                    "chain",
                    run_chain,
                    cfg,
                    rpc,
                    pools,
                    records_send,
                    on_unstable=on_unstable,
                )
            )
            nursery.start_soon(
                partial(
                    supervised,
                    "inventory",
                    run_inventory,
                    cfg,
                    rpc,
                    records_send,
                    risk_in_send,
                    on_unstable=on_unstable,
                    size_caps=engine.size_caps,
                )
            )
            nursery.start_soon(partial(run_system_sampler, records_send, data_dir))
            watchdog = await nursery.start(
                partial(
                    run_watchdog,
                    progress_probe=lambda: detector.stats.blocks,
                    status_probe=lambda: format_status(
                        live.mode.name, live.head.number if live.head else None, live.pnl_today
                    ),
                    env=env,
                )
            )
            handle = Supervisor(
                latch=latch,
                kill_switch=hw.kill_switch,
                metrics_url=getattr(server, "url", None),
                state_path=store.state_path,
                journal_path=store.journal_path,
                risk=engine,
            )
            task_status.started(handle)
            await _await_synced(cfg, live, risk_in_send)
            watchdog.ready()
            await records_send.send(StartupCompleted(time.time()))
            handle.ready.set()
            log.info(
                "ready: head %s, mode %s", live.head.number if live.head else "?", live.mode.name
            )
            nursery.start_soon(partial(run_health, cfg, live, risk_in_send))


async def _await_synced(cfg: AppConfig, live: _Live, risk_in_send: trio.MemorySendChannel) -> None:
    """Wait until a block's reserves went through and an endpoint is healthy; tell risk."""
    while not (live.blocks > 0 and live.head is not None):
        await trio.sleep(0.05)
    await risk_in_send.send(HealthReported(synced=True, healthy=True))
    live.healthy = True


async def run_health(
    cfg: AppConfig,
    live: _Live,
    risk_in_send: trio.MemorySendChannel,
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Report synced/healthy to the risk engine whenever it changes (head age vs the limit)."""
    task_status.started()
    last: tuple[bool, bool] | None = None
    period = max(0.25, min(cfg.chain.block_time_s, 5.0))
    while True:
        age = time.monotonic() - live.head_seen_at if live.head else math.inf
        synced = age <= max(cfg.risk.max_head_age_s, 3 * cfg.chain.block_time_s)
        now = (synced, live.healthy)
        if now != last:
            last = now
            await risk_in_send.send(HealthReported(synced=synced, healthy=live.healthy))
        await trio.sleep(period)


async def run_relay(
    recv: trio.MemoryReceiveChannel,
    *sends: trio.MemorySendChannel,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Forward every event to each of ``sends`` in order (the first is the latency-critical one).

    Used between a restartable producer and its consumers: the producer gets its own channel,
    so its restarts never close the consumers' ends.
    """
    task_status.started()
    async for event in recv:
        for send in sends:
            await send.send(event)


async def run_inventory(
    cfg: AppConfig,
    rpc: Any,
    records_send: trio.MemorySendChannel,
    risk_in_send: trio.MemorySendChannel,
    *,
    size_caps: Callable[[], dict[str, int]],
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Read the executor's base-token balances; feed the risk engine and the strategy's sizing."""
    task_status.started()
    executor = cfg.account.executor
    while True:
        balances = await _balances(rpc, cfg.tokens.base, executor) if executor else {}
        if balances is not None:  # None: a read failed; the previous figures stay in force
            await risk_in_send.send(InventoryObserved(balances))
            unlimited = cfg.execution.funding == "flash"
            await records_send.send(SizingUpdated(size_caps(), None if unlimited else balances))
        await trio.sleep(INVENTORY_EVERY_S)


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


async def run_system_sampler(
    records_send: trio.MemorySendChannel,
    data_dir: Any,
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """CPU, RSS and temperature for the state file (and so for the screen)."""
    task_status.started()
    cpu = CpuMeter()
    while True:
        s = sample(data_dir, cpu)
        await records_send.send(
            SystemSampled(time.time(), s.cpu_percent or 0.0, s.rss_bytes or 0, s.temperature_c)
        )
        await trio.sleep(SYSTEM_EVERY_S)


def _pending_trades(data_dir: Any) -> list[Any]:
    """Unsettled trades from the journal, for the executor's restart reconciliation."""
    path = data_dir / JOURNAL_NAME
    if not path.exists():
        return []
    journal = Journal(path)
    try:
        return list(journal.pending_trades())
    finally:
        journal.close()


def _offer(send: trio.MemorySendChannel, event: Any) -> None:
    try:
        send.send_nowait(event)
    except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
        log.warning("could not deliver %s", type(event).__name__)


def check_runnable(cfg: AppConfig) -> None:
    """Refuse early, with one line, what would fail later."""
    if cfg.account.executor is None:
        raise ConfigError(
            cfg.path or "(config)",
            "account.executor",
            "is required to run: deploy it with `arb-appliance deploy-executor --config F`",
        )
