"""Synced / healthy for the risk engine, and the stale-head fault for the LEDs.

The head's age is judged two ways, and the older wins: since it *arrived* (monotonic clock) and
since it was *mined* (the block's timestamp against the local wall clock). An endpoint that keeps
answering with an old head is therefore not "synced", and nothing trades on it. Past
``max_head_age_s`` (at least three block times) trading pauses; an outage that lasts
:data:`OUTAGE_FACTOR` times that is a FAULT (blinking red), never a watchdog kill.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import trio

from appliance.config import AppConfig
from appliance.events import FaultChanged
from appliance.risk.inputs import HealthReported
from appliance.supervisor.live import Live

__all__ = [
    "OUTAGE_FACTOR",
    "REFRESH_S",
    "await_synced",
    "head_age_s",
    "run_health",
    "stale_after_s",
]

OUTAGE_FACTOR = 10  # a head older than 10x the pause limit is an outage: FaultChanged("head")
# Re-sent at least this often even when unchanged: a risk task restarted after a crash starts
# "paused until synced" and must hear the current health again.
REFRESH_S = 5.0
FAULT_KEY = "head"


def stale_after_s(cfg: AppConfig) -> float:
    return max(cfg.risk.max_head_age_s, 3 * cfg.chain.block_time_s)


def head_age_s(live: Live, *, now_mono: float, now_wall: float) -> float:
    if live.head is None:
        return math.inf
    arrived = now_mono - live.head_seen_at
    mined = now_wall - live.head.timestamp
    return max(arrived, mined)


async def await_synced(live: Live, risk_inputs: trio.MemorySendChannel) -> None:
    """Wait until a block's reserves went through (and so a head is known); tell risk."""
    while not (live.blocks > 0 and live.head is not None):
        await trio.sleep(0.05)
    await risk_inputs.send(HealthReported(synced=True, healthy=True))
    live.healthy = True


async def run_health(
    cfg: AppConfig,
    live: Live,
    risk_inputs: trio.MemorySendChannel,
    records: trio.MemorySendChannel,
    *,
    clock: Callable[[], float] = time.time,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Report synced/healthy to risk whenever it changes (and every :data:`REFRESH_S`);
    raise/clear the ``head`` fault."""
    task_status.started()
    last: tuple[bool, bool] | None = None
    sent_at = -math.inf
    fault = False
    limit = stale_after_s(cfg)
    period = max(0.25, min(cfg.chain.block_time_s, 5.0))
    while True:
        age = head_age_s(live, now_mono=time.monotonic(), now_wall=clock())
        synced = age <= limit
        now = (synced, live.healthy)
        if now != last or trio.current_time() - sent_at >= REFRESH_S:
            last, sent_at = now, trio.current_time()
            await risk_inputs.send(HealthReported(synced=synced, healthy=live.healthy))
        outage = age > OUTAGE_FACTOR * limit
        if outage != fault:
            fault = outage
            detail = f"no fresh block for {age:.0f} s" if outage else ""
            await records.send(FaultChanged(FAULT_KEY, outage, detail))  # -> LEDs, journal, alert
        await trio.sleep(period)
