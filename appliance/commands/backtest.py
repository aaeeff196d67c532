"""``arb-appliance backtest``: replay recorded reserves from a journal through the strategy.

Prints what the detector would have found, block by block, on the recorded market: candidates,
their summed net profit per base token, and the best one. Risk and execution are not replayed
(the risk engine's decisions depend on live inventory and mode).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--journal",
        type=Path,
        default=None,
        metavar="PATH",
        help="journal to replay (default: <storage.data_dir>/journal.sqlite)",
    )
    parser.add_argument("--from-block", type=int, default=0, metavar="N")
    parser.add_argument("--to-block", type=int, default=None, metavar="N")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def main(args: argparse.Namespace) -> int:
    from appliance.config import load_config
    from appliance.strategy.replay import replay_journal

    cfg = load_config(args.config)
    journal = args.journal or cfg.storage.data_dir / "journal.sqlite"
    s = replay_journal(cfg, journal, from_block=args.from_block, to_block=args.to_block)
    best = s.best
    doc = {
        "journal": str(journal),
        "blocks": s.blocks,
        "first_block": s.first_block,
        "last_block": s.last_block,
        "pools": s.pools,
        "cycles": s.cycles,
        "candidates": s.candidates,
        "blocks_with_candidates": s.blocks_with_candidates,
        "net_profit_wei": {k: str(v) for k, v in s.net_profit.items()},
        "best": None
        if best is None
        else {
            "block": best.block,
            "base_token": best.base_token,
            "path": [leg.pool for leg in best.legs],
            "amount_in": str(best.amount_in),
            "net_profit": str(best.net_profit),
        },
    }
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    print(f"journal      {journal}")
    print(f"blocks       {s.blocks} ({s.first_block} .. {s.last_block})")
    print(f"market       {s.pools} pools, {s.cycles} cycles")
    print(f"candidates   {s.candidates} in {s.blocks_with_candidates} blocks")
    for token, total in sorted(s.net_profit.items()):
        print(f"net profit   {total} wei of {token}")
    if best is not None:
        print(
            f"best         block {best.block}: {best.amount_in} in, net {best.net_profit} "
            f"({len(best.legs)} legs)"
        )
    return 0
