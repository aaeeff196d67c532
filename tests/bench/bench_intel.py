"""Benchmark of market intelligence: classification time per block at 200 swaps/block.

Run: .venv/bin/python tests/bench/bench_intel.py [--quick]   (prints figures; asserts nothing)

Two paths, both production code:
* in process: 200 validated ``Swap`` logs per block (a busy block: plain swaps, 2- and 3-pool
  arbitrages, flash-funded ones, sandwiches) through the intel reader's decoding and
  :func:`classify_block` — what the task spends per block besides the one receipts request;
* on the devnet: a block with 200 real router swaps (and the rivals' trades) mined on Anvil,
  read by :class:`IntelReader` through the real RPC pool — the Swap logs request, the one
  batched receipts request, decoding and classification.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import trio

from appliance.chain.values import Log
from appliance.events import PoolInfo
from appliance.intel import SWAP_V2_TOPIC, TxInfo, classify_block, txs_to_describe
from appliance.intel.task import IntelReader

SWAPS = 200
TOKENS = [f"0x{i:040x}" for i in range(1, 9)]


def _log(block: int, index: int, tx: str, pool: PoolInfo, zero_in: bool, a_in: int, a_out: int):
    words = (a_in, 0, 0, a_out) if zero_in else (0, a_in, a_out, 0)
    return Log(
        address=pool.address,
        topics=(SWAP_V2_TOPIC, "0x" + "0" * 24 + "7a" * 20, "0x" + "0" * 24 + "c1" * 20),
        data=b"".join(w.to_bytes(32, "big") for w in words),
        block_number=block,
        block_hash="0x" + "ab" * 32,
        log_index=index,
        tx_hash=tx,
    )


def busy_block(rng: random.Random, pools: list[PoolInfo], block: int):
    logs, txs, index, tx_n = [], {}, 0, 0
    while len(logs) < SWAPS:
        tx_n += 1
        tx = "0x" + f"{block:032x}{tx_n:032x}"
        txs[tx] = TxInfo(tx, f"0x{rng.randrange(1, 40):040x}", "0x" + "e" * 40, 10**15)
        hops = rng.choice((1, 1, 1, 2, 3))
        amount = rng.randrange(10**15, 10**20)
        for _ in range(hops):
            pool = rng.choice(pools)
            zero_in = rng.random() < 0.5
            out = amount * rng.randrange(90, 110) // 100
            logs.append(_log(block, index, tx, pool, zero_in, amount, out))
            index += 1
            amount = out
    return logs, txs


def in_process(blocks: int) -> list[float]:
    rng = random.Random(1)
    pools = [
        PoolInfo(f"0x{0x1000 + i:040x}", "uni", *sorted(rng.sample(TOKENS, 2)), 30)
        for i in range(200)
    ]
    reader = IntelReader(None, pools, ours=())
    times = []
    for b in range(blocks):
        logs, txs = busy_block(rng, pools, 1000 + b)
        t0 = time.perf_counter()
        swaps, _ = reader.decode(logs)
        classify_block(swaps, txs)
        times.append(time.perf_counter() - t0)
    return times


async def on_devnet(blocks: int) -> list[tuple]:
    from appliance.devnet import open_devnet
    from appliance.devnet.simulator import plan_swaps

    out = []
    with tempfile.TemporaryDirectory(prefix="arb-bench-intel-") as tmp:
        return await _devnet_blocks(open_devnet, plan_swaps, blocks, Path(tmp), out)


async def _devnet_blocks(open_devnet, plan_swaps, blocks, tmp, out):
    from appliance.chain import open_rpc_pool
    from appliance.config import load_config
    from appliance.events import SwapLogsSeen

    async with open_devnet(seed=1, data_dir=tmp) as dn:
        cfg = load_config(dn.config_path, check_key=False)
        plan = plan_swaps(dn, seed=3, n=SWAPS * blocks)
        async with open_rpc_pool(cfg.chain) as rpc:
            reader = IntelReader(rpc, dn.pools, ours=())
            for b in range(blocks):
                for s in plan[b * SWAPS : (b + 1) * SWAPS]:
                    await dn.swap(s.dex, s.token_in, s.token_out, s.amount_in, mine=False)
                number = await dn.mine()
                t0 = time.perf_counter()
                logs = await rpc.get_logs(
                    address=[p.address for p in dn.pools],
                    topics=[SWAP_V2_TOPIC],
                    from_block=number,
                    to_block=number,
                )
                t1 = time.perf_counter()
                event = await reader.read(SwapLogsSeen(number, logs))
                t2 = time.perf_counter()
                swaps, _ = reader.decode(logs)
                n_receipts = len(txs_to_describe(swaps))
                out.append((t2 - t0, len(logs), t1 - t0, n_receipts, event.plain_swaps))
    return out


def _ms(values: list[float]) -> str:
    qs = statistics.quantiles(values, n=100) if len(values) >= 2 else values * 99
    return f"p50 {statistics.median(values) * 1e3:.2f} ms  p99 {qs[98] * 1e3:.2f} ms"


def main() -> None:
    quick = "--quick" in sys.argv
    times = in_process(50 if quick else 500)
    print(f"in process, {SWAPS} swaps/block, decode + classify: {_ms(times)} ({len(times)} blocks)")
    devnet = trio.run(on_devnet, 2 if quick else 5)
    walls = [row[0] for row in devnet]
    logs = statistics.median(row[1] for row in devnet)
    print(
        f"devnet, {logs:.0f} Swap logs/block, logs request + receipts batch + classify: "
        f"{_ms(walls)} ({len(walls)} blocks)"
    )
    print(
        f"  of which the logs request {_ms([row[2] for row in devnet])}; transactions whose sender "
        f"mattered (from the block body): {statistics.median(row[3] for row in devnet):.0f}"
    )


if __name__ == "__main__":
    main()
