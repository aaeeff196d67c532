"""Child process of the paper-mode SIGKILL test: the production seams of a paper trade.

run_store (the real store task, bulk commits every 60 s) + run_execution in paper mode, wired as
the supervisor wires them: the write-ahead is a WriteAhead request to the store, every update is
forwarded to the store afterwards (the relay). Logs to stdout; the parent kills it with SIGKILL
right after the "trade ... paper" line.

argv: config.toml executor data_dir candidate.json
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from pathlib import Path

import trio
from exec_helpers import start_execution, store_write_ahead

from appliance.chain import open_rpc_pool
from appliance.config import load_config
from appliance.events import Candidate, Leg, OrderApproved, TradeUpdated
from appliance.modes import Mode
from appliance.safety import SafetyLatch
from appliance.store.writer import run_store


async def main(config: str, executor: str, data_dir: str, candidate_json: str) -> None:
    raw = json.loads(Path(candidate_json).read_text())
    raw["legs"] = tuple(Leg(**leg) for leg in raw["legs"])
    raw["amounts"] = tuple(raw["amounts"])
    cand = Candidate(**raw)
    cfg = load_config(config)
    root = Path(data_dir)
    cfg = dataclasses.replace(
        cfg,
        strategy=dataclasses.replace(cfg.strategy, mode="paper"),
        account=dataclasses.replace(cfg.account, executor=executor),
        storage=dataclasses.replace(
            cfg.storage,
            data_dir=root / "data",
            runtime_dir=root / "run",
            commit_interval_s=60.0,
        ),
    )
    store_send, store_recv = trio.open_memory_channel(64)
    results_send, results_recv = trio.open_memory_channel[TradeUpdated](64)
    orders_send, orders_recv = trio.open_memory_channel[OrderApproved](4)

    async def relay() -> None:
        async for update in results_recv:
            await store_send.send(update)

    async with open_rpc_pool(cfg.chain) as pool, trio.open_nursery() as nursery:
        await nursery.start(run_store, cfg, store_recv)
        nursery.start_soon(relay)
        await start_execution(
            nursery,
            cfg,
            pool,
            orders_recv,
            results_send,
            latch=SafetyLatch(root / "latch"),
            write_ahead=store_write_ahead(store_send),
        )
        await orders_send.send(OrderApproved(candidate=cand, mode=Mode.NORMAL, order_id="paper-1"))
        await trio.sleep_forever()  # the parent kills us with SIGKILL after the log line


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(name)s %(message)s")
    trio.run(main, *sys.argv[1:5])
