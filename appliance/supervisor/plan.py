"""The task tree, declared: which subsystems run, which channels connect them, who is restarted.

This is the one screen to read first; :mod:`appliance.supervisor.compose` builds exactly this.

Every producer sends its status events to ``records``; the bus (one task) fans them out by type
along :data:`ROUTES`. The latency-critical path does not go through the bus: the market sends its
``CandidatesFound`` straight to ``candidates`` (risk) — and, by the same send, to ``records`` for
the journal — and risk sends ``OrderApproved`` straight to ``orders`` (execution). So a block
reaches a signature in three hops: chain -> bus -> market -> risk -> execution.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from appliance.events import (
    BlockSeen,
    FaultChanged,
    KillSwitchPressed,
    KillSwitchRearmed,
    ModeChanged,
    OrderApproved,
    PoolsDiscovered,
    PoolStatesUpdated,
    ReorgDetected,
    ReservesUpdated,
    RiskUpdated,
    RpcHealthChanged,
    SizingUpdated,
    StartupCompleted,
    TokenDenied,
    TradeUpdated,
)
from appliance.risk.inputs import InventoryObserved

__all__ = ["CHANNELS", "CHILDREN", "ROUTES", "Child", "Restart", "Route"]


class Restart(enum.Enum):
    NEVER = "never"  # its failure stops the supervisor; systemd restarts it (the latch persists)
    BACKOFF = "backoff"  # restarted with backoff; 3 crashes in 5 min hold PAUSED until it recovers


@dataclass(frozen=True)
class Route:
    """Bus -> ``channel``: the events of ``types`` (None: all). ``must``: back-pressure, never
    dropped; otherwise ``send_nowait`` and a full consumer loses the event (counted)."""

    channel: str
    types: tuple[type, ...] | None
    must: bool


@dataclass(frozen=True)
class Child:
    name: str
    restart: Restart
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    job: str


# name -> capacity
CHANNELS: dict[str, int] = {
    "records": 4096,  # every producer -> bus
    "store": 4096,  # bus -> store
    "market": 256,  # bus -> market
    "risk-results": 256,  # bus -> risk (trade outcomes)
    "risk-inputs": 256,  # bus, health, supervisor -> risk
    "hw": 64,  # bus, supervisor -> LEDs
    "alerts": 256,  # bus observer -> webhooks
    "candidates": 4,  # market -> risk (small: a stale batch waits, it is not queued up)
    "orders": 4,  # risk -> execution
    "swaps": 64,  # chain (each block's Swap logs), bus (new pools) -> intel; best effort
}

_MARKET_INPUT = (
    BlockSeen,
    ReorgDetected,
    PoolStatesUpdated,
    ReservesUpdated,
    PoolsDiscovered,
    TokenDenied,
)
_MARKET_FEEDBACK = (SizingUpdated, OrderApproved, TradeUpdated)
_RISK_INPUTS = (BlockSeen, RpcHealthChanged, TokenDenied, InventoryObserved)
_KILL_SWITCH = (KillSwitchPressed, KillSwitchRearmed)

# In delivery order: the bus hands an event to each subscriber in turn, and every hand-over is
# a scheduling point (the receiver may run before the bus goes on). The block's way to a
# signature comes first (market, then risk), the journal after it: the store still gets every
# event, in the same order, a few hundred microseconds later (its commits are batched anyway).
ROUTES: tuple[Route, ...] = (
    Route("market", (*_MARKET_INPUT, *_MARKET_FEEDBACK), must=True),
    Route("risk-inputs", (*_RISK_INPUTS, *_KILL_SWITCH), must=True),
    Route("risk-results", (TradeUpdated,), must=True),
    Route("store", None, must=True),
    Route(
        "hw", (ModeChanged, StartupCompleted, FaultChanged, RpcHealthChanged, RiskUpdated), False
    ),
    Route("swaps", (PoolsDiscovered,), must=False),  # intel learns the pools found later
)

# In start order. hw comes before any network I/O; then the RPC pool opens and pools are
# discovered; the store starts before anything that writes ahead.
CHILDREN: tuple[Child, ...] = (
    Child("hw", Restart.NEVER, ("hw",), ("records",), "kill switch, re-arm, LEDs"),
    Child("store", Restart.NEVER, ("store",), (), "journal + state file, the only writer"),
    Child("metrics", Restart.NEVER, (), (), "Prometheus exporter (loopback)"),
    Child("alerts", Restart.NEVER, ("alerts",), (), "webhooks, best effort"),
    Child("bus", Restart.NEVER, ("records",), tuple(r.channel for r in ROUTES), "fan-out"),
    Child("execution", Restart.BACKOFF, ("orders",), ("records",), "sign, send, track"),
    Child(
        "risk",
        Restart.BACKOFF,
        ("candidates", "risk-results", "risk-inputs"),
        ("orders", "records"),
        "modes, breakers, gate",
    ),
    Child("market", Restart.BACKOFF, ("market",), ("candidates", "records"), "detect cycles"),
    Child("intel", Restart.BACKOFF, ("swaps",), ("records",), "who arbitraged what, for how much"),
    Child("chain", Restart.BACKOFF, (), ("records", "swaps"), "heads, reserves, RPC health"),
    Child("inventory", Restart.BACKOFF, (), ("records",), "balances, gas"),
    Child("sampler", Restart.NEVER, (), ("records",), "CPU, RSS, temperature"),
    Child("watchdog", Restart.NEVER, (), (), "sd_notify READY, WATCHDOG, STATUS"),
    Child("health", Restart.NEVER, (), ("risk-inputs", "records"), "synced, healthy, stale head"),
)
