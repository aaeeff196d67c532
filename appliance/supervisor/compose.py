"""The composition root: builds the task tree of :mod:`appliance.supervisor.plan` and runs it.

Start-up order (each step only once the previous one is up):

1. lock the data and runtime directories (:mod:`~appliance.supervisor.locks`);
2. ``hw``: the kill switch reads the pin level (a switch held at start latches EMERGENCY) and the
   LEDs light — before any network I/O;
3. open the RPC pool, discover the pools (from the journal's cache when it still fits);
4. ``store``, ``metrics``, ``alerts``, ``bus``, then the trading subsystems downstream first
   (``execution``, ``risk``, ``market``, ``chain``), ``inventory``, ``sampler``, ``watchdog``;
5. wait until synced: READY=1, ``StartupCompleted``; then ``health``.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import trio

from appliance.alerts import alert_for, offer_alert, run_alerts
from appliance.bus import Subscriber, Tee, run_bus
from appliance.chain import open_rpc_pool
from appliance.chain.service import run_chain
from appliance.config import AppConfig
from appliance.events import AlertRaised, PoolsDiscovered, StartupCompleted
from appliance.execution.service import run_execution
from appliance.intel.task import run_intel
from appliance.metrics import Metrics, run_metrics
from appliance.pool_cache import discover_cached
from appliance.risk.state import RiskStateFile
from appliance.risk.task import run_risk
from appliance.safety import SafetyLatch
from appliance.store.journal import JOURNAL_NAME, Journal
from appliance.store.writer import WriteAhead, run_store
from appliance.strategy.task import run_market
from appliance.supervision import supervised
from appliance.supervisor.channels import Channels
from appliance.supervisor.health import await_synced, run_health
from appliance.supervisor.holds import CrashHolds
from appliance.supervisor.inventory import run_inventory, trading_account
from appliance.supervisor.live import Live
from appliance.supervisor.locks import hold_dir_locks
from appliance.supervisor.plan import CHANNELS, CHILDREN, ROUTES, Restart
from appliance.supervisor.sampler import run_system_sampler
from appliance.watchdog import format_status, run_watchdog
from hw import KillSwitch, make_pin_factory, run_hw
from hw.mock_switch import CONTROL_NAME as MOCK_CONTROL

__all__ = ["Supervisor", "run_supervisor"]

log = logging.getLogger("appliance.supervisor")

_RESTART = {c.name: c.restart for c in CHILDREN}


@dataclass
class Supervisor:
    """What ``run_supervisor`` hands to ``task_status.started``: handles for signals and tests."""

    latch: SafetyLatch
    kill_switch: Any  # hw.KillSwitch: SIGUSR1 takes the same path as the GPIO press
    metrics_url: str | None
    state_path: Any
    journal_path: Any
    risk: Any = None  # the RiskEngine: read-only for others (its mode, caps, snapshot)
    market: Any = None  # the market task's first Detector: read-only (tests: what it has seen)
    ready: trio.Event = field(default_factory=trio.Event)
    started: list[str] = field(default_factory=list)  # children, in start order (= the plan)


async def run_supervisor(
    cfg: AppConfig,
    *,
    latch: SafetyLatch | None = None,
    pin_factory: Any = None,
    env: Mapping[str, str] = os.environ,
    on_kill_switch: Callable[[KillSwitch], None] | None = None,
    task_status: trio.TaskStatus[Supervisor] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the appliance until cancelled (SIGTERM) or a non-restartable child fails.

    ``on_kill_switch`` is called with the kill switch as soon as it exists (before any network
    I/O): ``run`` routes SIGUSR1 through it from then on.
    """
    data_dir, runtime_dir = cfg.storage.data_dir, cfg.storage.runtime_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    runtime_dir.mkdir(parents=True, exist_ok=True)
    with hold_dir_locks(data_dir, runtime_dir):
        latch = latch if latch is not None else SafetyLatch(data_dir)
        try:
            await _run(cfg, latch, pin_factory, env, on_kill_switch, task_status)
        finally:
            gc.unfreeze()


async def _run(cfg, latch, pin_factory, env, on_kill_switch, task_status) -> None:
    data_dir, runtime_dir = cfg.storage.data_dir, cfg.storage.runtime_dir
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
    live = Live()
    metrics = Metrics(latch=latch, data_dir=data_dir, risk=cfg.risk)
    ch = Channels(CHANNELS)
    records, risk_inputs, hw_in = ch.send("records"), ch.send("risk-inputs"), ch.send("hw")
    started: list[str] = []

    holds = CrashHolds(risk_inputs, hw_in, records)

    def alerts_of(event: Any) -> None:
        """Every alert is an AlertRaised on the records stream (journaled, on the screen); the
        ones derived from other events (kill switch, modes, faults) are put there here."""
        if isinstance(event, AlertRaised):
            offer_alert(ch.send("alerts"), event)
        elif (alert := alert_for(event, at=time.time())) is not None:
            _offer(records, alert)

    subscribers = [Subscriber(r.channel, ch.send(r.channel), r.types, must=r.must) for r in ROUTES]
    observers = [live.observe, metrics.observe, alerts_of, holds.storage_hold]

    async def start(nursery: trio.Nursery, name: str, fn: Callable[..., Any], *args, **kw) -> Any:
        started.append(name)
        if _RESTART[name] is Restart.BACKOFF:
            fn = partial(
                supervised, name, fn, on_unstable=holds.unstable, on_recovered=holds.recovered
            )
        return await nursery.start(partial(fn, *args, **kw))

    async with trio.open_nursery() as root:
        hw = await start(
            root,
            "hw",
            run_hw,
            cfg.hardware,
            latch=latch,
            pin_factory=pin_factory,
            mode_recv=ch.recv("hw"),
            events_send=records.clone(),
            healthy=lambda: live.healthy,
            mock_control=runtime_dir / MOCK_CONTROL,  # used only with gpiozero's MockFactory
        )
        if on_kill_switch is not None:
            on_kill_switch(hw.kill_switch)
        async with open_rpc_pool(cfg.chain) as rpc, trio.open_nursery() as nursery:
            token_infos, pools, discovered = await discover_cached(rpc, cfg)
            log.info(
                "discovered %d pools of %d tokens on %d DEXes",
                len(pools),
                len(token_infos),
                len(cfg.dex),
            )
            store = await start(
                nursery,
                "store",
                run_store,
                cfg,
                ch.recv("store"),
                n_pools_hint=max(len(pools), 16),
                events_send=records.clone(),  # its disk-full fault and alert
            )
            server = None
            started.append("metrics")
            if cfg.metrics.enabled:
                server = await nursery.start(run_metrics, cfg.metrics, metrics)
            alert_stats = await start(nursery, "alerts", run_alerts, cfg.alerts, ch.recv("alerts"))
            metrics.watch_alerts(alert_stats.snapshot)
            await start(nursery, "bus", run_bus, ch.recv("records"), subscribers, observers)
            await records.send(PoolsDiscovered(token_infos, pools))
            await records.send(discovered)  # the cache key, after the pools it vouches for

            async def write_ahead(trade: Any) -> None:
                request = WriteAhead(trade)
                await records.send(request)
                await request.wait()

            await start(
                nursery,
                "execution",
                run_execution,
                cfg,
                rpc,
                ch.recv("orders"),
                records,
                latch=latch,
                write_ahead=write_ahead,
                pending=partial(_pending_trades, data_dir),  # re-read at each (re)start
            )
            engine = await start(
                nursery,
                "risk",
                run_risk,
                cfg,
                ch.recv("candidates"),
                ch.recv("risk-results"),
                ch.send("orders"),
                records,
                latch=latch,
                state_file=RiskStateFile.in_dir(data_dir),
                inputs_recv=ch.recv("risk-inputs"),
            )
            detector = await start(
                nursery,
                "market",
                run_market,
                cfg,
                ch.recv("market"),
                Tee(ch.send("candidates"), records),  # to risk first, then to the journal
                records,
                eth_call=rpc.eth_call,
            )
            ours = {a for a in (cfg.account.executor, trading_account(cfg)) if a}
            await start(
                nursery, "intel", run_intel, rpc, pools, ch.recv("swaps"), records, ours=ours
            )
            swaps = ch.send("swaps").clone()  # the chain's own end: its restarts close only it
            await start(nursery, "chain", run_chain, cfg, rpc, pools, records, swaps_send=swaps)
            await start(
                nursery,
                "inventory",
                run_inventory,
                cfg,
                rpc,
                records,
                size_caps=engine.size_caps,
            )
            await start(nursery, "sampler", run_system_sampler, records, data_dir)
            watchdog = await start(
                nursery,
                "watchdog",
                run_watchdog,
                status_probe=lambda: format_status(
                    live.mode.name, live.head.number if live.head else None, live.pnl_today
                ),
                env=env,
            )
            handle = Supervisor(
                latch=latch,
                kill_switch=hw.kill_switch,
                metrics_url=getattr(server, "url", None),
                state_path=store.state_path,
                journal_path=store.journal_path,
                risk=engine,
                market=detector,
                started=started,
            )
            task_status.started(handle)
            await await_synced(live, risk_inputs)
            # what the start-up built (modules, pools, the market state) lives as long as the
            # process: frozen out of the collector's way, a full collection (measured: 0.2-0.3 s
            # at 500 pools) never pauses a block; thawed again when the supervisor ends
            gc.collect()
            gc.freeze()
            watchdog.ready()
            await records.send(StartupCompleted(time.time()))
            handle.ready.set()
            log.info(
                "ready: head %s, mode %s", live.head.number if live.head else "?", live.mode.name
            )
            await start(nursery, "health", run_health, cfg, live, risk_inputs, records)


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
