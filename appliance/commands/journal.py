"""``arb-appliance journal check|recover|fresh``: the journal's health and its recovery.

* ``check``: ``PRAGMA integrity_check`` (``quick_check`` on a big journal), as ``run`` does at
  start; exit 0 when sound, else the one-line "journal damaged" reason and exit 2.
* ``recover``: salvage a damaged journal into a new one; the damaged file is kept beside it as
  ``journal.sqlite.damaged-<UTC time>`` (:mod:`appliance.store.recovery`). ``--no-sqlite3`` skips
  the ``sqlite3`` tool's ``.recover`` even when it is installed.
* ``fresh``: start with an empty journal; the old one is kept as ``journal.sqlite.old-<UTC time>``.
  This is the one way past the refusal of an emptied (0-byte) journal.

``recover`` and ``fresh`` refuse while the supervisor runs on the directory.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from appliance.config import load_config
from appliance.errors import UserError

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("check", "recover", "fresh"), help="what to do")
    parser.add_argument(
        "--no-sqlite3",
        action="store_true",
        help="recover with Python only (skip the sqlite3 tool's .recover)",
    )


def main(args: argparse.Namespace) -> int:
    from appliance.store.preflight import check_journal
    from appliance.store.recovery import move_aside, recover_journal, refuse_if_running, stamp
    from appliance.store.schema import JOURNAL_NAME

    cfg = load_config(args.config, check_key=False)
    journal = Path(cfg.storage.data_dir) / JOURNAL_NAME
    if args.action == "check":
        result = check_journal(journal)
        if result == "absent":
            raise UserError(f"no journal at {str(journal)!r}")
        print(f"journal ok: {journal}")
        return 0
    refuse_if_running(Path(cfg.storage.runtime_dir))
    if not journal.exists():
        raise UserError(f"no journal at {str(journal)!r}")
    if args.action == "fresh":
        kept = move_aside(journal, f"old-{stamp()}")
        print(f"journal moved aside to {kept}; the next run starts a new journal")
        return 0
    done = recover_journal(journal, use_cli=not args.no_sqlite3)
    rows = ", ".join(f"{t} {n}" for t, n in done.rows.items() if n)
    lost = ", ".join(f"{t} {'(whole table)' if n < 0 else n}" for t, n in done.lost.items())
    print(f"journal recovered ({done.method}) into {done.path}; damaged file kept as {done.kept}")
    print(f"rows kept: {rows or 'none'}")
    if lost:
        print(f"rowids skipped over damaged pages: {lost}")
    return 0
