"""Child process of the SIGKILL test: sends one live order, reports it sent, then waits forever.

argv: config.toml journal.sqlite candidate.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).parent))

from exec_helpers import Harness

from appliance.config import load_config
from appliance.events import Candidate, Leg, OrderApproved, TradeStatus
from appliance.modes import Mode
from appliance.safety import SafetyLatch
from appliance.store.journal import Journal


async def main(config: str, journal_path: str, candidate_json: str) -> None:
    raw = json.loads(Path(candidate_json).read_text())
    raw["legs"] = tuple(Leg(**leg) for leg in raw["legs"])
    raw["amounts"] = tuple(raw["amounts"])
    cand = Candidate(**raw)
    cfg = load_config(config)
    with Journal(journal_path) as journal:
        h = Harness(cfg, journal, SafetyLatch(Path(journal_path).parent / "latch"))
        async with trio.open_nursery() as nursery:
            await h.start(nursery)
            await h.orders_send.send(
                OrderApproved(candidate=cand, mode=Mode.NORMAL, order_id="killed-1")
            )
            sent = await h.until({TradeStatus.SENT, TradeStatus.DROPPED})
            print(f"{sent.status} {sent.tx_hash} {sent.nonce}", flush=True)
            await trio.sleep_forever()  # the parent kills us with SIGKILL here


if __name__ == "__main__":
    trio.run(main, *sys.argv[1:4])
