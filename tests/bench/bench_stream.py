"""Streaming vs polling chain input (issue #15), side by side, on loopback Anvil. Prints figures.

1. block mined -> ``BlockSeen`` and -> its ``ReservesUpdated``, p50/p99, through ``run_chain``
   (the production chain task: follower, stream, reserves), for 500 and 2,000 real Uniswap V2
   pools, block times 2 s and 0.25 s, streaming (``http|ws`` pair) and polling (``http``).
   "Mined" is the instant the ``evm_mine`` request is sent (the figure includes Anvil mining the
   block; the evm_mine round trip is printed beside it, and BlockSeen measured from Anvil's
   answer — negative when the stream beat the HTTP answer). Every block carries swaps.
2. block mined -> order signed, p50/p99, through the real in-process supervisor in live mode
   (journal on, simulation on, real threads): a dislocating swap is mined, the appliance finds,
   sizes, gates, simulates, signs and journals the arbitrage; the SIGNED row's ``created_at`` is
   the signing instant. 500 pools, streaming vs polling.
3. no missed or duplicated block over ``BENCH_MINUTES`` (default 10) at 0.25 s blocks, streaming.

Usage: python tests/bench/bench_stream.py [--quick] [--pools 500 2000] [--blocks 40]
``--quick``: 500 pools, 15 blocks per case, 1 minute for part 3 (BENCH_MINUTES overrides).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/integration/supervisor"))

from appliance.chain import open_rpc_pool  # noqa: E402
from appliance.chain.service import run_chain  # noqa: E402
from appliance.config import ChainConfig  # noqa: E402
from appliance.devnet import start_devnet  # noqa: E402
from appliance.events import BlockSeen, ReservesUpdated  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def ms(values: list[float]) -> str:
    if not values:
        return "      n/a"
    return f"p50 {pct(values, 50) * 1000:7.2f}  p99 {pct(values, 99) * 1000:7.2f} ms"


def entry(dn, path: str) -> str:
    ws = dn.rpc.replace("http://", "ws://")
    return f"{dn.rpc}|{ws}" if path == "streaming" else dn.rpc


async def mine_timed(rpc_client) -> tuple[float, float]:
    t0 = time.perf_counter()
    await rpc_client.call("evm_mine")
    return t0, time.perf_counter()


async def chain_latency(dn, path: str, block_time: float, blocks: int) -> dict:
    cfg = ChainConfig(chain_id=dn.chain_id, rpc=(entry(dn, path),), block_time_s=block_time)
    send, recv = trio.open_memory_channel(10_000)
    seen: dict[int, float] = {}
    updated: dict[int, float] = {}
    mined: dict[int, float] = {}
    answered: dict[int, float] = {}
    rtt: list[float] = []

    arrived: dict[int, trio.Event] = {}

    async def receive() -> None:
        async for event in recv:
            now = time.perf_counter()
            if isinstance(event, BlockSeen):
                seen.setdefault(event.number, now)
            elif isinstance(event, ReservesUpdated):
                updated.setdefault(event.block, now)
                arrived.setdefault(event.block, trio.Event()).set()

    async with open_rpc_pool(cfg) as rpc, trio.open_nursery() as nursery:
        nursery.start_soon(receive)
        await nursery.start(run_chain, cfg, rpc, dn.pools, send)
        await trio.sleep(max(1.0, 2 * block_time))  # the stream subscribes
        async with dn.client() as client:
            n = await dn.block_number()
            rng = random.Random(5)
            for i in range(blocks):
                # jittered cadence: blocks land at every phase of the poll cycle
                next_at = trio.current_time() + block_time * (0.75 + 0.5 * rng.random())
                pool = dn.pools[i % len(dn.pools)]
                # the harness's own work (a swap opens a client: tens of ms of CPU on this
                # loop) happens between blocks, never while a block is being measured
                await dn.swap(pool.dex, pool.token0, pool.token1, 10**12, mine=False)
                await trio.sleep_until(next_at)
                t0, t1 = await mine_timed(client)
                n += 1
                mined[n] = t0
                answered[n] = t1
                rtt.append(t1 - t0)
                with trio.move_on_after(5 * block_time + 2):
                    await arrived.setdefault(n, trio.Event()).wait()
        await trio.sleep(max(0.5, block_time))
        nursery.cancel_scope.cancel()
    to_seen = [seen[b] - t for b, t in mined.items() if b in seen]
    to_updated = [updated[b] - t for b, t in mined.items() if b in updated]
    after = [seen[b] - t for b, t in answered.items() if b in seen]
    return {"seen": to_seen, "updated": to_updated, "rtt": rtt, "after": after, "n": len(mined)}


async def part1(dn, block_times: tuple[float, ...], blocks: int) -> None:
    for block_time in block_times:
        for path in ("streaming", "polling"):
            r = await chain_latency(dn, path, block_time, blocks)
            print(
                f"  {len(dn.pools):5d} pools  block {block_time:5.2f} s  {path:9s}"
                f"  ->BlockSeen {ms(r['seen'])}   ->reserves {ms(r['updated'])}"
                f"   (evm_mine rtt p50 {pct(r['rtt'], 50) * 1000:.2f} ms; BlockSeen after the"
                f" evm_mine answer {ms(r['after'])}; n={r['n']})",
                flush=True,
            )


# ------------------------------------------------------------------------------- part 2
async def signed_latency(dn, path: str, blocks: int, tmp: Path) -> list[float]:
    from sup_helpers import appliance_config

    from appliance.config import load_config
    from appliance.supervisor import run_supervisor

    cfg_path = await appliance_config(dn, tmp, live=True)
    text = cfg_path.read_text()
    if path == "polling":
        text = text.replace(entry(dn, "streaming"), dn.rpc)
    cfg_path.write_text(text.replace("block_time_s = 0.5", "block_time_s = 2"))
    cfg = load_config(cfg_path)
    mined: dict[int, float] = {}
    async with trio.open_nursery() as nursery:
        sup = await nursery.start(run_supervisor, cfg)
        with trio.fail_after(120):
            await sup.ready.wait()
        await trio.sleep(3)
        async with dn.client() as client:
            await client.call("evm_setAutomine", [False])  # the dislocation waits for our mine
            for i in range(blocks):
                dex = dn.dexes[i % len(dn.dexes)].name  # 40 WETH, as the supervisor tests do
                await dn.swap(dex, "WETH", "USDC", 40 * 10**18, mine=False, account="simulator")
                t0 = time.time()
                await client.call("evm_mine")
                mined[await dn.block_number()] = t0
                await trio.sleep(2.0)
                t1 = time.time()
                await client.call("evm_mine")  # the arbitrage (if any) lands
                mined[await dn.block_number()] = t1
                await trio.sleep(0.5)
        nursery.cancel_scope.cancel()
    from appliance.store.schema import JOURNAL_NAME

    db = sqlite3.connect(cfg.storage.data_dir / JOURNAL_NAME)
    rows = db.execute(
        "SELECT o.block, t.created_at FROM trades t JOIN opportunities o"
        " ON o.id = t.opportunity_id ORDER BY t.created_at"
    ).fetchall()
    n_opp = db.execute(
        "SELECT count(*), group_concat(DISTINCT reason) FROM opportunities"
    ).fetchone()
    if os.environ.get("BENCH_DEBUG"):
        print(f"    ({path}: trades {rows}, mined {mined}, opportunities {n_opp})", flush=True)
    first: dict[int, float] = {}
    for block, created in rows:
        first.setdefault(block, created)
    # the block whose arrival led to the signature (the market may wait a block for stability)
    return [first[b] - t for b, t in mined.items() if b in first]


async def part2(dn, blocks: int) -> None:
    for path in ("streaming", "polling"):
        with tempfile.TemporaryDirectory(prefix="arb-bench-stream-") as tmp:
            lat = await signed_latency(dn, path, blocks, Path(tmp))
        print(
            f"  {len(dn.pools):5d} pools  {path:9s}  block -> signed {ms(lat)}"
            f"  ({len(lat)} signed orders, {blocks} dislocations)",
            flush=True,
        )


# ------------------------------------------------------------------------------- part 3
async def part3(dn, minutes: float) -> None:
    cfg = ChainConfig(chain_id=dn.chain_id, rpc=(entry(dn, "streaming"),), block_time_s=0.25)
    send, recv = trio.open_memory_channel(100_000)
    numbers: list[int] = []
    updates: list[int] = []
    async with open_rpc_pool(cfg) as rpc, trio.open_nursery() as nursery:

        async def receive() -> None:
            async for event in recv:
                if isinstance(event, BlockSeen):
                    numbers.append(event.number)
                elif isinstance(event, ReservesUpdated):
                    updates.append(event.block)

        nursery.start_soon(receive)
        await nursery.start(run_chain, cfg, rpc, dn.pools, send)
        await trio.sleep(1.0)
        first = await dn.block_number()
        deadline = time.monotonic() + minutes * 60
        async with dn.client() as client:
            i = 0
            while time.monotonic() < deadline:
                i += 1
                if i % 2:
                    pool = dn.pools[i % len(dn.pools)]
                    await dn.swap(pool.dex, pool.token0, pool.token1, 10**12, mine=False)
                await client.call("evm_mine")
                await trio.sleep(0.25)
        last = await dn.block_number()
        await trio.sleep(1.0)
        path = rpc.path
        nursery.cancel_scope.cancel()
    expected = list(range(first + 1, last + 1))
    got = [n for n in numbers if n > first]
    missed = sorted(set(expected) - set(got))
    dup = len(got) - len(set(got))
    upd = [n for n in updates if n > first]
    print(
        f"  {minutes:g} min at 0.25 s blocks, streaming: {len(expected)} blocks mined, "
        f"{len(set(got))} seen, missed {len(missed)}, duplicated {dup}, out of order "
        f"{sum(1 for a, b in itertools.pairwise(got) if b != a + 1)}, reserves for "
        f"{len(set(upd))} blocks; path at the end: {path}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--pools", type=int, nargs="*", default=None)
    ap.add_argument("--blocks", type=int, default=None)
    ap.add_argument("--parts", default="123")
    args = ap.parse_args()
    pools = args.pools or ([500] if args.quick else [500, 2000])
    blocks = args.blocks or (15 if args.quick else 40)
    minutes = float(os.environ.get("BENCH_MINUTES", 1 if args.quick else 10))
    print("streaming vs polling (issue #15); goals: BlockSeen p99 <= 5 ms, signed p99 <= 20 ms")
    for n in pools:
        t0 = time.perf_counter()
        with start_devnet(seed=1, n_pools_extra=max(0, n - 24)) as dn:
            print(f"devnet with {len(dn.pools)} pools in {time.perf_counter() - t0:.0f} s")
            if "1" in args.parts:
                trio.run(part1, dn, (2.0, 0.25), blocks)
            if "2" in args.parts and n == pools[0]:
                trio.run(part2, dn, max(5, blocks // 3))
            if "3" in args.parts and n == pools[0]:
                trio.run(part3, dn, minutes)


if __name__ == "__main__":
    main()
