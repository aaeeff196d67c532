"""Head age judged by the block's own timestamp too (issue 23), and a long outage is a FAULT."""

from __future__ import annotations

import math
import time

import trio

from appliance.config import AppConfig, ChainConfig, DexConfig, TokensConfig
from appliance.events import BlockSeen, FaultChanged
from appliance.risk.inputs import HealthReported
from appliance.supervisor.health import OUTAGE_FACTOR, run_health, stale_after_s
from appliance.supervisor.live import Live

CFG = AppConfig(
    chain=ChainConfig(chain_id=31337, rpc=("http://127.0.0.1:8545",), block_time_s=2.0),
    dex=(DexConfig(name="uni", factory="0x" + "cc" * 20),),
    tokens=TokensConfig(base=("0x" + "11" * 20,)),
)


def _block(number: int, timestamp: float) -> BlockSeen:
    return BlockSeen(number, "0x" + "ab" * 32, "0x" + "cd" * 32, int(timestamp), 10**9)


async def _run(live: Live, wall: list[float], seconds: float) -> tuple[list, list]:
    risk_send, risk_recv = trio.open_memory_channel(math.inf)
    rec_send, rec_recv = trio.open_memory_channel(math.inf)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            lambda: run_health(CFG, live, risk_send, rec_send, clock=lambda: wall[0])
        )
        await trio.sleep(seconds)
        nursery.cancel_scope.cancel()
    drain = lambda ch: [ch.receive_nowait() for _ in range(ch.statistics().current_buffer_used)]  # noqa: E731
    return drain(risk_recv), drain(rec_recv)


async def test_a_head_that_just_arrived_but_was_mined_long_ago_is_stale(autojump_clock) -> None:
    now = 1_800_000_000.0
    live = Live()
    live.observe(_block(100, now - 10 * stale_after_s(CFG)))  # arrives now, mined long ago
    live.healthy = True
    reports, _ = await _run(live, [now], 1.0)
    assert reports[-1] == HealthReported(synced=False, healthy=True)  # not traded on


async def test_a_fresh_head_is_synced_and_a_long_outage_is_a_fault(autojump_clock) -> None:
    now = time.time()
    live = Live()
    live.observe(_block(100, now))
    live.healthy = True
    wall = [now]
    reports, faults = await _run(live, wall, 1.0)
    assert reports == [HealthReported(synced=True, healthy=True)] and faults == []
    # no new block: past the pause limit, then past the outage limit (blinking red, no kill)
    wall[0] = now + OUTAGE_FACTOR * stale_after_s(CFG) + 1
    live.head_seen_at -= OUTAGE_FACTOR * stale_after_s(CFG) + 1
    reports, faults = await _run(live, wall, 1.0)
    assert HealthReported(synced=False, healthy=True) in reports
    assert [f.name for f in faults if isinstance(f, FaultChanged) and f.active] == ["head"]
