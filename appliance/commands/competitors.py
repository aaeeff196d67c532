"""``arb-appliance competitors``: who arbitrages the tracked pools, and how much they make.

Reads the journal read-only (the supervisor's intelligence task writes it): the leaderboard of
searchers by realized profit over ``--since`` (default 24 h), our capture rate, and the latest
arbitrages and sandwiches by others. ``--json`` prints one document whose ``arbitrages`` each
carry ``tx_hash``, ``block``, ``searcher`` (the tx sender), ``contract`` (the tx target),
``start_token``, ``profit_wei`` (int, in the start token), ``gas_wei`` and ``pools``.
"""

from __future__ import annotations

import argparse
import json
import time

from appliance.commands.intel_common import (
    DEFAULT_SINCE,
    amount,
    open_intel,
    parse_duration,
    short,
)

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--since", default=DEFAULT_SINCE, metavar="DURATION", help="e.g. 1h, 24h, 7d (default 24h)"
    )
    parser.add_argument("--limit", type=int, default=20, help="latest arbitrages to list")


def main(args: argparse.Namespace) -> int:
    from appliance.store.intel_queries import capture, latest_arbitrages, leaderboard

    window = parse_duration(args.since)
    since = time.time() - window
    with open_intel(args.config) as (conn, tokens):
        board = leaderboard(conn, since=since)
        latest = latest_arbitrages(conn, since=since, limit=max(1, args.limit))
        rates = capture(conn, since=since)
    doc = {
        "since_s": window,
        "leaderboard": board,
        "capture": rates,
        "arbitrages": [
            {
                k: a[k]
                for k in (
                    "tx_hash",
                    "block",
                    "searcher",
                    "contract",
                    "start_token",
                    "profit_wei",
                    "gas_wei",
                    "pools",
                    "kind",
                    "victims",
                )
            }
            for a in latest
        ],
    }
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    print(f"searchers on the tracked pools, last {args.since}:")
    if not board:
        print("  (no arbitrage seen yet)")
    for i, e in enumerate(board[:10], start=1):
        who = short(e["searcher"]) + (" (us)" if e["ours"] else "")
        print(
            f"  {i:>2}. {who:<20} {amount(e['profit_wei'], e['start_token'], tokens):>22}"
            f"  {e['arbitrages']} arb, {e['sandwiches']} sandwich, {e['losing']} losing"
        )
    for token, c in rates.items():
        rate = "n/a" if c["rate"] is None else f"{c['rate']:.1%}"
        print(
            f"capture ({tokens.get(token.lower(), (short(token), 18))[0]}): {rate} "
            f"(ours {amount(c['ours_wei'], token, tokens)}, "
            f"others {amount(c['others_wei'], token, tokens)})"
        )
    print("latest by others:")
    if not latest:
        print("  (none)")
    for a in latest:
        print(
            f"  block {a['block']}  {a['kind']:<9} {short(a['searcher']):<14}"
            f" {amount(a['profit_wei'], a['start_token'], tokens):>22}  tx {short(a['tx_hash'])}"
        )
    return 0
