"""``arb-appliance ui``: the read-only status screen (Textual) for the console display.

It loads the config only to find the journal (``storage.data_dir``) and the state file
(``storage.runtime_dir``) and a few display facts (daily loss limit, re-arm hold time);
``--state``/``--journal`` override the paths (then the config may be absent). Textual is imported
only when the command runs: ``appliance`` itself never imports it (tested).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["add_arguments", "main", "unicode_terminal"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        type=Path,
        metavar="PATH",
        help="state file (default: <storage.runtime_dir>/state.bin)",
    )
    parser.add_argument(
        "--journal",
        type=Path,
        metavar="PATH",
        help="journal (default: <storage.data_dir>/journal.sqlite)",
    )
    parser.add_argument("--kiosk", action="store_true", help="no quit key (the console on tty1)")
    parser.add_argument(
        "--view",
        default="overview",
        choices=("overview", "trading", "health"),
        help="the first view shown",
    )
    parser.add_argument(
        "--refresh-hz", type=float, default=4.0, metavar="HZ", help="refresh rate (default 4)"
    )


def main(args: argparse.Namespace) -> int:
    from appliance.store.schema import JOURNAL_NAME
    from appliance.store.statefile import STATE_FILE_NAME

    if not 0.2 <= args.refresh_hz <= 20:
        from ui.errors import UiUsageError

        raise UiUsageError(f"--refresh-hz must be between 0.2 and 20, not {args.refresh_hz!r}")
    cfg = None
    if args.state is None or args.journal is None or Path(args.config).exists():
        from appliance.config import load_config

        cfg = load_config(args.config, check_key=False)  # the screen never signs
    state = args.state or Path(cfg.storage.runtime_dir) / STATE_FILE_NAME
    journal = args.journal or Path(cfg.storage.data_dir) / JOURNAL_NAME

    from appliance.store.reader import config_reference_token
    from ui.app import StatusApp
    from ui.source import StatusSource

    source = StatusSource(
        state,
        journal,
        reset_hour_utc=cfg.risk.daily_reset_hour_utc if cfg else 0,
        daily_loss_limit=cfg.risk.daily_loss_wei if cfg else None,
        rearm_hold_s=cfg.hardware.rearm_hold_s if cfg else 5.0,
        paper=(not cfg.live) if cfg else None,
        ref_token=config_reference_token(cfg) if cfg else None,
    )
    StatusApp(
        source,
        kiosk=args.kiosk,
        refresh_hz=args.refresh_hz,
        view=args.view,
        unicode=unicode_terminal(),
    ).run()
    return 0


def unicode_terminal(env=os.environ, encoding: str | None = None) -> bool:
    """Block glyphs for the sparklines, except on the Linux console (its font lacks them) or a
    terminal that does not speak UTF-8."""
    encoding = encoding if encoding is not None else (sys.stdout.encoding or "")
    return env.get("TERM", "linux") not in ("linux", "vt100", "vt220", "dumb") and (
        encoding.lower().replace("-", "") == "utf8"
    )
