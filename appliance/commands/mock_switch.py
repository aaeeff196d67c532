"""``arb-appliance mock-switch press|hold``: work the simulated kill switch of a demo off a Pi.

``press`` closes and opens the switch (EMERGENCY, latched). ``hold`` keeps it closed for the
re-arm hold (``hardware.rearm_hold_s``, plus a margin) and then opens it: the deliberate re-arm,
refused by the supervisor itself while the chain is not healthy. Both need a running supervisor
on gpiozero's MockFactory (see :mod:`hw.mock_switch`); on a Pi the command refuses.
"""

from __future__ import annotations

import argparse
import time

from appliance.config import load_config
from appliance.errors import UserError

HOLD_MARGIN_S = 1.0
PRESS_S = 0.3  # well past the 50 ms debounce


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("press", "hold"), help="press: latch; hold: re-arm")


def main(args: argparse.Namespace) -> int:
    from hw.mock_switch import CONTROL_NAME, HELD, RELEASED, write_control

    cfg = load_config(args.config)
    control = cfg.storage.runtime_dir / CONTROL_NAME
    if not control.exists():
        raise UserError(
            f"no simulated kill switch at {control}: is `arb-appliance run` (or `make demo`) "
            "running on gpiozero's MockFactory? On a Pi, use the switch itself"
        )
    seconds = PRESS_S if args.action == "press" else cfg.hardware.rearm_hold_s + HOLD_MARGIN_S
    print(f"mock-switch: holding the simulated kill switch for {seconds:.1f} s", flush=True)
    write_control(control, HELD)
    try:
        time.sleep(seconds)
    finally:
        write_control(control, RELEASED)
    what = "pressed: EMERGENCY is latched" if args.action == "press" else "held and released"
    print(f"mock-switch: {what}; see `arb-appliance status --config {args.config}`")
    return 0
