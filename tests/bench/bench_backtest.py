"""Benchmark of the backtest: replayed blocks per second at 500 (and 2,000) pools, and memory.

Run: .venv/bin/python tests/bench/bench_backtest.py [--quick] [--pools 500|2000] [--blocks N]
[--runs N [--jobs J]] (prints figures; asserts nothing). Goal: >= 2,000 blocks/s at 500 pools on
2 cores. ``--runs N`` adds a Monte Carlo of N seeds (race fill model) on one process and on
``--jobs`` processes (default 2): the runs of different seeds share nothing, so they share the
cores (:mod:`appliance.backtest.parallel`; the runs are the serial ones, a test proves it).

The path is the one ``arb-appliance backtest --journal J`` takes: a journal written with the
store's own API (a synthetic market of noise traders on three DEXes, 5 swaps per block, recorded
before the clock starts), read back by the store's market reader and replayed through the real
detector (vectorised screening, exact re-check), the real risk engine (gate, breakers, sizing,
price observations) and the paper accounting, each fill laid over the market as paper mode lays
it. The replay runs in a fresh process, so its peak RSS is the backtest's own. Besides the wall
clock (at the mercy of a shared box) it prints blocks per CPU-second of that process, and a
fingerprint of the results (summary, trades, equity curve, refusals, the risk engine's last
picture): a faster replay must print the fingerprint of the plain one.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GWEI = 10**9
TOKENS_FOR = {500: 80, 2000: 330}  # NoiseMarket(n_tokens) -> 501 / 2,001 pools
SEED = 7


def _market(pools: int):
    from appliance.market.synthetic import NoiseMarket

    return NoiseMarket(n_tokens=TOKENS_FOR[pools], seed=SEED)


def record(path: Path, pools: int, n: int) -> int:
    """Write ``n`` blocks of the synthetic market into a journal, as the store does."""
    from appliance.events import BlockSeen
    from appliance.store.journal import Journal

    market = _market(pools)
    with Journal(path) as journal:
        journal.upsert_tokens(market.tokens)
        journal.upsert_pools(
            [
                (i, p.address, p.dex, p.token0, p.token1, p.fee_bps)
                for i, p in enumerate(market.pools)
            ]
        )
        ids = {p.address: i for i, p in enumerate(market.pools)}
        event = market.snapshot()
        for number in range(n):
            head = BlockSeen(number, f"0x{number:064x}", "0x0", 1_700_000_000 + 12 * number,
                             (8 + number % 5) * GWEI)  # fmt: skip
            journal.add_blocks([(head, 0.0)])
            journal.add_reserves(
                [(number, ids[a], str(r0), str(r1)) for a, (r0, r1) in event.reserves.items()]
            )
            event = market.step(trades=5, max_fraction=0.01)
    return len(market.pools)


def fingerprint(runs) -> str:
    """A digest of everything the runs produced (summary, every trade, the equity curve, the
    refusals, lost races, the risk engine's last picture): a faster replay must print the same."""
    digest = hashlib.sha256()
    for run in runs:
        for part in (run.summary, run.trades, run.equity, sorted(run.rejections.items()),
                     run.lost_races, run.risk):  # fmt: skip
            digest.update(repr(part).encode())
    return digest.hexdigest()[:16]


def replay(path: Path, pools: int) -> None:
    """The measured part (a fresh process): read the journal and backtest it."""
    from appliance.backtest.engine import Backtest
    from appliance.store.market_reader import journal_market

    market = _market(pools)
    cfg = market.app_config()
    inventory = {t: 10**24 for t in market.base}
    del market
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, c0 = time.perf_counter(), time.process_time()
    discovered, denied, blocks = journal_market(path)
    run = Backtest(cfg, discovered, denied=denied, inventory=inventory).run(blocks)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    s = run.summary
    print(
        f"pools {len(discovered.pools)}, blocks {s.blocks}, trades {s.trades}, "
        f"rejections {sum(run.rejections.values())}"
    )
    print(
        f"replay (journal read + backtest): {s.blocks / wall:,.0f} blocks/s wall ({wall:.2f} s), "
        f"{s.blocks / cpu:,.0f} blocks per CPU-second ({cpu:.2f} s CPU, one core)  "
        f"goal >= 2,000 blocks/s at 500 pools"
    )
    print(f"peak RSS {rss / 1024:.1f} MB (before the replay: {rss_before / 1024:.1f} MB)")
    print(f"fingerprint of the results: {fingerprint([run])}")


def monte_carlo(path: Path, pools: int, runs: int, jobs: int) -> None:
    """The measured part of ``--runs N --jobs J`` (a fresh process): N seeds of the race fill
    model, as ``arb-appliance backtest --fill race --runs N --jobs J`` runs them; blocks per
    second over all runs, and the CPU of this process and its workers."""
    from appliance.backtest import Competition
    from appliance.backtest.parallel import run_seeds
    from appliance.store.market_reader import journal_market

    market = _market(pools)
    cfg = market.app_config()
    inventory = {t: 10**24 for t in market.base}
    del market
    t0, c0 = time.perf_counter(), time.process_time()
    discovered, denied, blocks = journal_market(path)
    blocks = list(blocks)
    done = run_seeds(cfg, discovered, blocks, seeds=range(runs), jobs=jobs, denied=denied,
                     fill_model=Competition(), inventory=inventory)  # fmt: skip
    wall = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - c0 + children.ru_utime + children.ru_stime
    total = sum(r.summary.blocks for r in done)
    print(
        f"Monte Carlo {runs} runs on {jobs} process(es): {total / wall:,.0f} blocks/s wall "
        f"({wall:.2f} s), {total / cpu:,.0f} blocks per CPU-second ({cpu:.2f} s CPU, all "
        f"processes); net P&L of seed 0: {done[0].summary.net_profit_wei}; fingerprint "
        f"{fingerprint(done)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1,000 blocks instead of 10,000")
    parser.add_argument("--pools", type=int, choices=sorted(TOKENS_FOR), default=500)
    parser.add_argument("--blocks", type=int, default=None)
    parser.add_argument("--runs", type=int, default=0, help="also a Monte Carlo of N seeds")
    parser.add_argument("--jobs", type=int, default=2, help="its processes (default 2)")
    parser.add_argument("--replay", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--mc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay is not None:
        if args.mc:
            monte_carlo(args.replay, args.pools, args.runs, args.jobs)
        else:
            replay(args.replay, args.pools)
        return
    n = args.blocks or (1_000 if args.quick else 10_000)
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as tmp:
        path = Path(tmp) / "journal.sqlite"
        t0 = time.perf_counter()
        pools = record(path, args.pools, n)
        print(f"recorded {n} blocks of {pools} pools in {time.perf_counter() - t0:.1f} s")
        subprocess.run(
            [sys.executable, __file__, "--replay", str(path), "--pools", str(args.pools)],
            check=True,
        )
        if args.runs:
            for jobs in sorted({1, args.jobs}):
                subprocess.run(
                    [sys.executable, __file__, "--replay", str(path), "--pools", str(args.pools),
                     "--mc", "--runs", str(args.runs), "--jobs", str(jobs)],
                    check=True,
                )  # fmt: skip


if __name__ == "__main__":
    main()
