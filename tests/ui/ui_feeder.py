"""A stand-in for ``arb-appliance run`` in the tmux tests, until the supervisor exists.

Runs the real store task (:func:`appliance.store.writer.run_store`, under Trio) and feeds it the
scenario's events stamped with the wall clock, so the state file is live (heartbeat every second)
and the journal grows as in production. Like ``run``, SIGUSR1 is the software kill switch: the
events the supervisor journals for it (KillSwitchPressed, ModeChanged -> EMERGENCY, LEDs, alert)
go to the store. SIGTERM stops it cleanly.

    python tests/ui/ui_feeder.py DATA_DIR RUNTIME_DIR   # prints "ready", then "emergency"
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import trio

sys.path.insert(0, str(Path(__file__).parent))

import ui_scenario

from appliance.config.sections import StorageConfig
from appliance.store.writer import Flush, run_store


async def _send_all(send, events) -> None:
    for _, event in events:
        await send.send(event)
    flush = Flush()
    await send.send(flush)
    await flush.wait()


async def main(data_dir: Path, runtime_dir: Path) -> None:
    storage = StorageConfig(data_dir=data_dir, runtime_dir=runtime_dir, commit_interval_s=0.0)
    # the parts of an AppConfig run_store reads: it records the reference token (P&L unit)
    cfg = SimpleNamespace(
        storage=storage,
        live=False,
        tokens=SimpleNamespace(base=(ui_scenario.WETH,)),
        strategy=SimpleNamespace(native_token=None),
    )
    send, recv = trio.open_memory_channel(256)
    with trio.open_signal_receiver(signal.SIGUSR1, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            await nursery.start(run_store, cfg, recv)
            await _send_all(send, ui_scenario.scenario_events(t0=time.time()))
            print("ready", flush=True)
            async for signum in signals:
                if signum == signal.SIGUSR1:
                    await _send_all(send, ui_scenario.emergency_events(time.time()))
                    print("emergency", flush=True)
                else:
                    break
            await send.aclose()


if __name__ == "__main__":
    trio.run(main, Path(sys.argv[1]), Path(sys.argv[2]))
