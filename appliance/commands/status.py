"""``arb-appliance status [--json]``: the live status, read-only (state file + journal).

Exit codes: 0 the supervisor is running; 3 it is not running or stale (the last known picture is
still printed, like ``systemctl status``); 2 neither the state file nor the journal exists (wrong
config, or the supervisor never ran), or the journal is damaged ("journal damaged: ..., see README:
recovering the journal"; with ``--json`` the document is printed too, ``journal_damaged`` set) — one line on stderr, or with ``--json`` a document with
``"mode": "unknown"`` and ``"supervisor": "not running"`` so monitoring scripts can always parse it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from appliance.config import load_config
from appliance.store.reader import status_document
from appliance.units import amount, breaker_word, endpoint_word

__all__ = ["add_arguments", "main", "render"]

EXIT_RUNNING, EXIT_NOTHING, EXIT_NOT_RUNNING = 0, 2, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the status as one JSON document")


def main(args: argparse.Namespace) -> int:
    # Read-only, like the screen: it never signs, so it never reads the key. It runs as users
    # other than the supervisor's (arb-ui, an operator's shell in group arb), to whom the key
    # file (0600, the supervisor's) must stay unreadable.
    cfg = load_config(args.config, check_key=False)
    doc = status_document(cfg)
    if doc["journal_damaged"]:
        if args.json:
            print(json.dumps(doc, indent=2))
        print(f"arb-appliance status: {doc['journal_damaged']}", file=sys.stderr)
        return EXIT_NOTHING
    if not doc["sources"]:
        if args.json:
            print(json.dumps(doc, indent=2))
        else:
            print(
                f"arb-appliance status: no status: neither {doc['state_file']} nor "
                f"{doc['journal']} exists (supervisor not running?)",
                file=sys.stderr,
            )
        return EXIT_NOTHING
    print(json.dumps(doc, indent=2) if args.json else render(doc))
    return EXIT_RUNNING if doc["supervisor"] == "running" else EXIT_NOT_RUNNING


def render(doc: dict[str, Any]) -> str:
    """A compact human view (fits 80 columns)."""
    live = {True: "live", False: "paper", None: "?"}[doc["live"]]
    sup = doc["supervisor"]
    if doc["pid"] is not None:
        sup += f" (pid {doc['pid']}, updated {doc['updated_age_s']} s ago)"
    lines = [
        f"mode           {doc['mode']} ({live}), supervisor {sup}",
        f"kill switch    {'LATCHED' if doc['kill_switch'] else 'armed'}",
    ]
    if doc["leds"]:
        lines.append("leds           " + " ".join(f"{k}={v}" for k, v in doc["leds"].items()))
    if doc["head_block"] is not None:
        lines.append(f"head           #{doc['head_block']}, {doc['head_age_s']} s old")
    else:
        lines.append("head           none yet")
    if doc.get("chain_input"):
        lines.append(f"chain input    {doc['chain_input']}")
    for r in doc["rpc"]:  # the screen's words (appliance.units.VOCABULARY)
        word, _ = endpoint_word(
            healthy=r["healthy"], lagging=r["lagging"], breaker=r.get("breaker", "closed")
        )
        extra = f" stream {r['stream']}" if r.get("stream") else ""
        lines.append(f"rpc            {r['host']:<28} {word:<8} {r['latency_ms']:8.1f} ms{extra}")
        if r.get("reason"):
            lines.append(f"  why          {r['reason']}")
    opp = doc["opportunities"]
    lines.append(f"pools          {doc['pools']}")
    lines.append(
        f"opportunities  {opp['detected']} detected, {opp['approved']} approved, "
        f"{opp['rejected']} rejected"
    )
    lines.append("trades         " + " ".join(f"{k} {v}" for k, v in doc["trades"].items()))
    pnl = amount(doc["pnl_today"], doc.get("pnl_decimals"), doc.get("pnl_unit"), sign=True)
    lines.append(f"pnl today      {pnl}")
    breakers = doc["breakers"]
    lines.append(
        "breakers       "
        + (
            " ".join(f"{k}={breaker_word(v)[0]}" for k, v in breakers.items())
            if breakers
            else "none reported"
        )
    )
    if doc["last_alert"]:
        lines.append(f"last alert     {doc['last_alert']['text'][:64]}")
    for problem in doc["problems"]:
        lines.append(f"note           {problem}")
    return "\n".join(lines)
