"""CPU, RSS and temperature every few seconds, for the state file (and so for the screen)."""

from __future__ import annotations

import time
from pathlib import Path

import trio

from appliance.store.writer import SystemSampled
from appliance.sysinfo import CpuMeter, sample

__all__ = ["SYSTEM_EVERY_S", "run_system_sampler"]

SYSTEM_EVERY_S = 5.0


async def run_system_sampler(
    records: trio.MemorySendChannel,
    data_dir: Path,
    *,
    every_s: float = SYSTEM_EVERY_S,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    task_status.started()
    cpu = CpuMeter()
    while True:
        s = sample(data_dir, cpu)
        await records.send(
            SystemSampled(time.time(), s.cpu_percent or 0.0, s.rss_bytes or 0, s.temperature_c)
        )
        await trio.sleep(every_s)
