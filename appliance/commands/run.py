"""``arb-appliance run``: the supervisor in the foreground (systemd ``Type=notify``).

SIGTERM/SIGINT stop it cleanly (trades in flight stay journaled); SIGUSR1 is the software kill
switch, taking the same path as the GPIO press.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
from functools import partial

import trio

from appliance.config import load_config
from appliance.errors import ApplianceError, first_appliance_error
from appliance.safety import SafetyLatch

log = logging.getLogger("appliance.run")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )


def main(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    from appliance.logs import register_config_secrets, setup_logging
    from appliance.store.preflight import check_storage
    from appliance.supervisor import check_runnable

    check_runnable(cfg)
    redaction = setup_logging(getattr(logging, args.log_level))
    if cfg.account.key_file is not None:
        # an unreadable key is reported by the executor with its own one-line error
        with contextlib.suppress(OSError):
            redaction.add_secret(cfg.account.key_file.read_text().strip())
    register_config_secrets(redaction, cfg)  # RPC URL credentials, webhook URLs
    latch = SafetyLatch(cfg.storage.data_dir)
    # Until the kill switch exists, SIGUSR1 trips the latch directly (its default would kill us).
    signal.signal(
        signal.SIGUSR1,
        lambda *_: threading.Thread(
            target=latch.trip, args=("SIGUSR1 during start-up", "sigusr1")
        ).start(),
    )
    check_storage(cfg)  # dirs, free space, journal integrity: one line and exit 2, before any I/O
    try:
        trio.run(_run, cfg, latch)
    except BaseExceptionGroup as group:
        leaf = first_appliance_error(group)
        if not isinstance(leaf, ApplianceError):
            raise
        raise leaf from None
    return 0


async def _run(cfg, latch) -> None:
    from appliance.supervisor import run_supervisor
    from hw import handle_sigusr1

    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(partial(run_supervisor, cfg, latch=latch))
            with handle_sigusr1(handle.kill_switch):
                async for signum in signals:
                    log.info("%s: stopping", signal.Signals(signum).name)
                    nursery.cancel_scope.cancel()
                    break
