"""``arb-appliance fault-leds``: light the fault pattern while the supervisor is down.

Started by ``arb-appliance-fault.service`` (``OnFailure=`` of ``arb-appliance.service``), stopped
by systemd when the supervisor starts again. A config that does not load (often the very reason
the supervisor failed) falls back to the default pins, with one line saying so.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from functools import partial

import trio

from appliance.config import ConfigError, HardwareConfig, load_config
from appliance.safety import SafetyLatch

log = logging.getLogger("appliance.fault_leds")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    from hw import make_pin_factory
    from hw.fault import run_fault_leds

    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print(f"fault-leds: {exc}; using the default pins", file=sys.stderr)
        hardware, latched, runtime_dir = HardwareConfig(), False, None
    else:
        hardware, runtime_dir = cfg.hardware, cfg.storage.runtime_dir
        latched = SafetyLatch(cfg.storage.data_dir).tripped
    if not hardware.enabled:
        print("fault-leds: [hardware] enabled = false: no LED to light", file=sys.stderr)
        return 0
    factory, notice = make_pin_factory(os.environ, runtime_dir=runtime_dir)
    if notice:
        print(notice, file=sys.stderr)

    async def run() -> None:
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async with trio.open_nursery() as nursery:
                await nursery.start(
                    partial(
                        run_fault_leds,
                        green=hardware.green_pin,
                        yellow=hardware.yellow_pin,
                        red=hardware.red_pin,
                        pin_factory=factory,
                        latched=latched,
                    )
                )
                print(
                    f"fault-leds: the supervisor is down — red {'on (kill switch latched)' if latched else 'blinking'}"
                    f" on BCM{hardware.red_pin} until it starts again",
                    file=sys.stderr,
                    flush=True,
                )
                async for _ in signals:
                    nursery.cancel_scope.cancel()
                    break

    trio.run(run)
    return 0
