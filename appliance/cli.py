"""The ``arb-appliance`` command line.

Each subcommand lives in its own module under :mod:`appliance.commands` exposing
``add_arguments(parser)`` and ``main(args) -> int``; modules are imported only when their command
runs, so ``arb-appliance status`` never imports trading code. A :class:`UserError` anywhere becomes
one line on stderr and exit code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from appliance import __version__
from appliance.errors import ApplianceError

__all__ = ["main"]

COMMANDS: dict[str, str] = {
    "run": "start the supervisor (trading loop, hardware, metrics, alerts)",
    "ui": "show the read-only status screen",
    "status": "print the live status (mode, head, pools, trades)",
    "check-config": "validate the config file and print the effective settings, secrets redacted",
    "journal": "check the journal, recover a damaged one, or start a fresh one (old files kept)",
    "devnet": "start a local Anvil market with Uniswap V2 pools and a noise-trader simulator",
    "demo": "devnet + supervisor + status screen in this terminal",
    "deploy-executor": "deploy the executor contract with the configured key",
    "backtest": "replay a recorded market through the live strategy, risk engine and paper fills",
    "competitors": "the searchers arbitraging the tracked pools: leaderboard and latest trades",
    "why": "what became of each opportunity, and why nothing traded",
    "fault-leds": "show the fault pattern on the LEDs while the supervisor is down (systemd)",
    "mock-switch": "press or hold (re-arm) the simulated kill switch of a demo off a Pi",
}

ENV_CONFIG = "ARB_APPLIANCE_CONFIG"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message}\n")


def default_config_path() -> Path:
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    from appliance.config import DEFAULT_CONFIG_PATHS

    for candidate in DEFAULT_CONFIG_PATHS:
        if candidate.exists():
            return candidate
    return DEFAULT_CONFIG_PATHS[0]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (for its own arguments)."""
    parser = _Parser(
        prog="arb-appliance", description="Arbitrage appliance for Uniswap V2-style pools."
    )
    parser.add_argument("--version", action="version", version=f"arb-appliance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--config",
            type=Path,
            default=None,
            metavar="PATH",
            help=f"config file (default: ${ENV_CONFIG} or /boot/firmware/arb-appliance.toml)",
        )
        if name == command:
            module = _command_module(name)
            if module is not None and hasattr(module, "add_arguments"):
                module.add_arguments(p)
    return parser


def _command_module(name: str):
    modname = "appliance.commands." + name.replace("-", "_")
    try:
        return importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name == modname:
            return None
        raise


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if a in COMMANDS), None)
    if command == "run":
        # The kill switch from the earliest instant we control: SIGUSR1 stays pending (never its
        # default "terminate") until run's sigwait thread takes it (appliance/commands/run.py).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if args.config is None:
        args.config = default_config_path()
    module = _command_module(args.command)
    if module is None:
        print(f"arb-appliance {args.command}: not available yet", file=sys.stderr)
        return 2
    try:
        return int(module.main(args) or 0)
    except ApplianceError as exc:
        from appliance.logs import redact  # URL credentials and key-like hex, as in the logs

        print(f"arb-appliance {args.command}: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `arb-appliance status | head`
        sys.stderr.close()
        return 0
