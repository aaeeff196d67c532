"""Benchmark of chain I/O on loopback Anvil with 500 real Uniswap V2 pools.

Prints, per block: reserves refresh via Sync logs (goal <= 30 ms median, 1 HTTP request) and via
a batched getReserves full refresh (goal <= 150 ms median), and block-produced -> BlockSeen
latency of the head follower. Run: .venv/bin/python tests/bench/bench_rpc.py
"""

from __future__ import annotations

import statistics
import time

import trio

from appliance.chain import RpcClient, RpcPool
from appliance.chain.heads import poll_interval, run_head_follower
from appliance.chain.reserves import fetch_reserves_by_logs, fetch_reserves_full
from appliance.devnet import run_simulator, start_devnet
from appliance.events import BlockSeen

N_POOLS = 500
BLOCKS = 60


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(values) * 1000:7.2f} ms  p90 {p90 * 1000:7.2f} ms  (n={len(values)})"


async def bench(dn) -> None:
    pools = dn.pools
    assert len(pools) == N_POOLS, len(pools)
    async with RpcClient(dn.rpc, timeout_s=10.0, max_response_bytes=64_000_000) as client:
        rpc = RpcPool([client], hedge=False)
        start = (await rpc.get_block("latest")).number
        stats = await run_simulator(dn, seed=5, mine=True, max_rounds=BLOCKS, swaps_per_block=5)
        end = (await rpc.get_block("latest")).number
        blocks = [await rpc.get_block(n) for n in range(start + 1, end + 1)]

        log_times, log_requests, changed = [], [], []
        for block in blocks:
            before = client.requests_sent
            t0 = time.perf_counter()
            reserves = await fetch_reserves_by_logs(rpc, block.hash, pools)
            log_times.append(time.perf_counter() - t0)
            log_requests.append(client.requests_sent - before)
            changed.append(len(reserves))

        full_times, full_requests = [], []
        for block in blocks[-20:]:
            before = client.requests_sent
            t0 = time.perf_counter()
            reserves = await fetch_reserves_full(rpc, block.hash, pools)
            full_times.append(time.perf_counter() - t0)
            full_requests.append(client.requests_sent - before)
            assert len(reserves) == N_POOLS

        print(
            f"chain I/O bench: {N_POOLS} pools, {len(blocks)} blocks of simulator trading ({stats.sent} swaps)"
        )
        print(
            f"  refresh via Sync logs : {ms(log_times)}  HTTP requests/block {statistics.mean(log_requests):.1f}"
            f"  pools changed/block {statistics.mean(changed):.1f}   goal <= 30 ms median, 1 request"
        )
        print(
            f"  full refresh (batch)  : {ms(full_times)}  HTTP requests/refresh {statistics.mean(full_requests):.1f}"
            f"   goal <= 150 ms median"
        )

        for block_time in (0.2, 2.0):
            latencies = await head_latency(dn, rpc, block_time)
            print(
                f"  block -> BlockSeen    : {ms(latencies)}  (block_time_s={block_time}, poll every"
                f" {poll_interval(block_time) * 1000:.0f} ms)"
            )


async def head_latency(dn, rpc: RpcPool, block_time: float, n: int = 15) -> list[float]:
    send, recv = trio.open_memory_channel(100)
    latencies = []
    async with trio.open_nursery() as nursery:
        await nursery.start(
            lambda task_status: run_head_follower(
                rpc, send, block_time_s=block_time, task_status=task_status
            )
        )
        await recv.receive()  # the current head
        for _ in range(n):
            await trio.sleep(block_time * 0.37)  # mine at varied phases of the poll cycle
            await dn.mine()
            t0 = time.perf_counter()
            event = await recv.receive()
            assert isinstance(event, BlockSeen)
            latencies.append(time.perf_counter() - t0)
        nursery.cancel_scope.cancel()
    return latencies


def main() -> None:
    t0 = time.perf_counter()
    with start_devnet(seed=1, n_pools_extra=N_POOLS - 24) as dn:
        print(f"devnet with {len(dn.pools)} pools ready in {time.perf_counter() - t0:.1f} s")
        trio.run(bench, dn)
    print(f"total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
