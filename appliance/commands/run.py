"""``arb-appliance run``: the supervisor in the foreground (systemd ``Type=notify``).

SIGTERM/SIGINT stop it cleanly (trades in flight stay journaled); SIGUSR1 is the software kill
switch, taking the same path as the GPIO press — from the first line of :func:`main` to the last:
SIGUSR1 is blocked before any thread exists and taken by one ``sigwait`` thread
(:class:`hw.Sigusr1Switch`), which trips the latch directly until the kill switch exists and goes
through the kill switch from then on.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
from functools import partial

import trio

from appliance.errors import ApplianceError, first_appliance_error

log = logging.getLogger("appliance.run")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )


def main(args: argparse.Namespace) -> int:
    # First: no press may be lost. Blocked here (and already by the CLI, before it even imported
    # this module), SIGUSR1 stays pending (never the default "terminate") until the sigwait
    # thread takes it; every thread started later inherits the mask.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    from appliance.config import load_config
    from appliance.logs import register_config_secrets, setup_logging
    from appliance.safety import SafetyLatch
    from appliance.store.preflight import check_storage
    from appliance.supervisor import check_runnable
    from hw import Sigusr1Switch

    cfg = load_config(args.config)
    check_runnable(cfg)
    redaction = setup_logging(getattr(logging, args.log_level))
    if cfg.account.key_file is not None:
        # an unreadable key is reported by the executor with its own one-line error
        with contextlib.suppress(OSError):
            redaction.add_secret(cfg.account.key_file.read_text().strip())
    register_config_secrets(redaction, cfg)  # RPC URL credentials, webhook URLs
    latch = SafetyLatch(cfg.storage.data_dir)
    presses = Sigusr1Switch(latch).start()
    check_storage(cfg)  # dirs, free space, journal integrity: one line and exit 2, before any I/O
    try:
        trio.run(_run, cfg, latch, presses)
    except BaseExceptionGroup as group:
        leaf = first_appliance_error(group)
        if not isinstance(leaf, ApplianceError):
            raise
        raise leaf from None
    finally:
        presses.detach()  # Trio is gone: a press from now on trips the latch directly
    return 0


async def _run(cfg, latch, presses) -> None:
    from appliance.supervisor import run_supervisor

    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as nursery:
            await nursery.start(
                partial(run_supervisor, cfg, latch=latch, on_kill_switch=presses.attach)
            )
            async for signum in signals:
                log.info("%s: stopping", signal.Signals(signum).name)
                nursery.cancel_scope.cancel()
                break
