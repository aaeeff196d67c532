"""``arb-appliance demo``: devnet + simulator, the supervisor, and the status screen.

Steps: start a devnet with 1 s blocks and the noise-trader simulator (in this process), print
"market ready: ..." once swaps are flowing, start ``arb-appliance run --config <devnet config>``
as a child (its output goes to ``<data-dir>/run.log``; "not available yet" is reported and the
demo goes on without it), then run ``arb-appliance ui`` in the foreground when a terminal is
attached (else just wait). Ctrl-C or SIGTERM stops the screen, the supervisor, the simulator
and Anvil — in that order — and leaves no process behind.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.util
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import trio

from appliance.commands.devnet import CORE_POOLS, add_market_arguments, raise_on_sigterm
from appliance.errors import UserError

__all__ = ["add_arguments", "inspect_commands", "main"]

_NOT_YET = "not available yet"
# read-only commands worth running against the demo from a second terminal, if they exist
_INSPECT = (
    ("status", "the live status"),
    ("competitors", "who else is trading these pools"),
    ("why", "why the latest opportunities were rejected"),
)
_STOP_GRACE_S = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_market_arguments(
        parser, data_dir_help="config, key, journal and logs (default: a temporary directory)"
    )
    parser.add_argument(
        "--no-ui", action="store_true", help="do not start the status screen even on a terminal"
    )


def _say(text: str) -> None:
    print(f"demo: {text}", flush=True)


def _command_exists(name: str) -> bool:
    from appliance.cli import COMMANDS

    module = "appliance.commands." + name.replace("-", "_")
    return name in COMMANDS and importlib.util.find_spec(module) is not None


def inspect_commands(config: Path, log_path: Path, *, exe: str | None = None) -> list[str]:
    """The lines that tell a newcomer where the demo's config is and how to look inside it:
    only commands that exist in this build (``competitors``/``why`` once they do)."""
    if exe is None:
        beside = Path(sys.executable).with_name("arb-appliance")
        exe = str(beside) if beside.exists() else f"{sys.executable} -m appliance"
    cfg = shlex.quote(str(config))
    lines = [f"config {config}", "inspect the running demo from another terminal:"]
    for name, what in _INSPECT:
        if _command_exists(name):
            lines.append(f"  {exe} {name} --config {cfg}   # {what}")
    lines.append(f"  {exe} ui --config {cfg}   # a second status screen")
    lines.append(f"  tail -f {shlex.quote(str(log_path))}   # the supervisor's log")
    return lines


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    import ctypes

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM, 0, 0, 0)


def _appliance_cmd(*argv: str) -> list[str]:
    return [sys.executable, "-m", "appliance", *argv]


def _spawn(argv: list[str], **kwargs) -> subprocess.Popen:
    """Start a child from *this* (the main) thread.

    PR_SET_PDEATHSIG fires when the thread that forked the child exits, not the process; Trio
    forks from worker threads that retire after a few idle seconds, which would SIGTERM the child
    seconds after it started. The main thread lives as long as the demo does.
    """
    return subprocess.Popen(argv, preexec_fn=_die_with_parent, **kwargs)


async def _wait(proc: subprocess.Popen) -> int:
    while proc.poll() is None:
        await trio.sleep(0.1)
    return proc.returncode


async def _stop(proc: subprocess.Popen, name: str) -> None:
    if proc.poll() is not None:
        return
    with trio.CancelScope(shield=True):
        proc.send_signal(signal.SIGTERM)
        with trio.move_on_after(_STOP_GRACE_S):
            await _wait(proc)
        if proc.poll() is None:
            _say(f"{name} did not stop within {_STOP_GRACE_S:g} s: killing it")
            proc.kill()
            proc.wait()


async def _run_supervisor(
    config: Path, log_path: Path, *, task_status=trio.TASK_STATUS_IGNORED
) -> None:
    """``arb-appliance run`` as a child in its own process group; stopped with SIGTERM."""
    with open(log_path, "ab") as log:
        proc = _spawn(
            _appliance_cmd("run", "--config", str(config)),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    task_status.started()
    try:
        await _wait(proc)
    finally:
        await _stop(proc, "the supervisor")
    text = log_path.read_text(errors="replace")
    if proc.returncode == 2 and _NOT_YET in text:
        _say("supervisor (`arb-appliance run`) is not available yet: market only")
    else:
        _say(f"supervisor exited with code {proc.returncode} (log: {log_path})")


async def _run_ui(config: Path) -> int:
    """``arb-appliance ui`` on this terminal (same process group: it gets the keyboard)."""
    proc = _spawn(_appliance_cmd("ui", "--config", str(config)))
    try:
        return await _wait(proc)
    finally:
        await _stop(proc, "the status screen")


async def _demo(dn, args: argparse.Namespace) -> None:
    from appliance.devnet.errors import DevnetError
    from appliance.devnet.executor import install_executor
    from appliance.devnet.service import run_devnet_market, stop_signals, wait_for_stop_signal

    executor = await install_executor(dn)
    _say(f"executor {executor} deployed and funded")
    with stop_signals() as signals:
        async with trio.open_nursery() as nursery:
            stats = await nursery.start(
                functools.partial(
                    run_devnet_market,
                    dn,
                    seed=args.seed,
                    simulator=True,
                    searchers=not args.no_searchers,
                    real_prices=args.real_series,
                )
            )
            with trio.move_on_after(60):
                while stats.rounds < 1:
                    await trio.sleep(0.1)
            if stats.rounds < 1:
                raise DevnetError("the market simulator made no swaps within 60 s")
            rivals = "off" if args.no_searchers else "3 rival searchers"
            prices = "real mainnet prices" if args.real_series else "noise only"
            gas = (
                f"base fee >= {args.base_fee_gwei:g} gwei"
                if dn.gas is not None
                else "Anvil's base fee"
            )
            _say(
                f"market ready: {dn.rpc} chain {dn.chain_id}, {len(dn.pools)} pools on "
                f"{len(dn.dexes)} DEXes, {len(dn.tokens)} tokens, noise traders on "
                f"(seed {args.seed}), {rivals}, {prices}, {gas}; config {dn.config_path}"
            )
            log_path = dn.data_dir / "run.log"
            await nursery.start(_run_supervisor, dn.config_path, log_path)
            for line in inspect_commands(dn.config_path, log_path):
                _say(line)
            interactive = sys.stdin.isatty() and sys.stdout.isatty() and not args.no_ui
            if interactive:
                nursery.start_soon(_ui_then_stop, dn.config_path, nursery.cancel_scope)
            else:
                _say("no terminal for the status screen: press Ctrl-C to stop")
            await wait_for_stop_signal(signals)
            _say("stopping")
            nursery.cancel_scope.cancel()


async def _ui_then_stop(config: Path, scope: trio.CancelScope) -> None:
    code = await _run_ui(config)
    if code == 2:
        _say("status screen (`arb-appliance ui`) is not available yet: press Ctrl-C to stop")
        return
    scope.cancel()  # the operator quit the screen: the demo ends


def main(args: argparse.Namespace) -> int:
    from appliance.commands.devnet import check_args, devnet_gas, real_price_series
    from appliance.devnet import start_devnet
    from appliance.devnet.service import first_appliance_error

    args.port = None
    check_args(args)
    args.real_series = real_price_series(args)
    if args.data_dir is not None and args.data_dir.exists() and not args.data_dir.is_dir():
        raise UserError(f"--data-dir {str(args.data_dir)!r} is not a directory")
    raise_on_sigterm()
    _say("starting Anvil and deploying the market ...")
    with start_devnet(
        seed=args.seed,
        block_time=args.block_time,
        data_dir=args.data_dir,
        n_pools_extra=args.pools - CORE_POOLS,
        with_v3=True,  # Uniswap V3 pools beside the V2 ones (after them: same V2 addresses)
        gas=devnet_gas(args),
    ) as dn:
        try:
            trio.run(_demo, dn, args)
        except BaseExceptionGroup as group:
            raise first_appliance_error(group) from None
    _say("stopped; no process left behind")
    return 0
