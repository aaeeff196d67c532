"""``arb-appliance why``: what became of every opportunity, and why nothing traded.

Reads the journal read-only. Each opportunity seen over ``--since`` (default 24 h) was taken by
us (with the trade's status), taken by another searcher within a few blocks (which tx, whose,
what they realized against the optimum we computed), rejected by us (the risk engine's reason:
below min profit after gas, a limit, a breaker, a stale head, a hostile token...), or it
vanished. ``--json`` prints the document.
"""

from __future__ import annotations

import argparse
import json
import time

from appliance.commands.intel_common import DEFAULT_SINCE, amount, open_intel, parse_duration, short

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--since", default=DEFAULT_SINCE, metavar="DURATION", help="e.g. 1h, 24h, 7d (default 24h)"
    )


def main(args: argparse.Namespace) -> int:
    from appliance.store.intel_queries import opportunity_fates

    window = parse_duration(args.since)
    with open_intel(args.config) as (conn, tokens):
        doc = opportunity_fates(conn, since=time.time() - window)
        base = {}
        for block, token in conn.execute(
            "SELECT block, base_token FROM opportunities WHERE at >= ?", (time.time() - window,)
        ):
            base.setdefault(block, token)
    doc["since_s"] = window
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    print(f"{doc['opportunities']} opportunities in the last {args.since}:")
    for fate, count in doc["fates"].items():
        print(f"  {count:>6}  {fate}")
    if doc["rejections"]:
        print("why we did not trade (risk refusals, most common first):")
        for reason, count in doc["rejections"].items():
            print(f"  {count:>6}  {reason}")
    if doc["taken"]:
        print("taken by others (latest):")
        for t in doc["taken"][-10:]:
            token = base.get(t["block"], "")
            print(
                f"  block {t['block']}  {short(t['searcher']):<14} realized "
                f"{amount(t['their_profit_wei'], token, tokens)} vs our optimum "
                f"{amount(t['our_optimum_wei'], token, tokens)} ({t['we_had']})"
            )
    return 0
