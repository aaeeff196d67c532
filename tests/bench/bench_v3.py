"""Benchmark of the Uniswap V3 math: one quote across 1, 10 and 100 ticks; memory per pool state;
and a long agreement run against the real QuoterV2 on Anvil.

Run: .venv/bin/python tests/bench/bench_v3.py [--quick]   (prints figures; asserts nothing)
Duration: ``BENCH_MINUTES`` (default 0.5) bounds the Quoter run; ``--quick`` runs a few seconds.
Goal (issue 16): a quote within one tick <= 50 µs.

"Across N ticks" means the swap crosses N initialized ticks (a pool with one initialized tick
every tick spacing, fee 3000 / spacing 60, liquidity changing at each) and ends half-way into
the next range; "within 1 tick" crosses none. Quotes are the production functions (``quote_exact_input`` /
``quote_exact_output`` / ``swap``) on a ``V3PoolState``; times are per call, single thread.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from appliance.market.v3math import (
    V3PoolState,
    get_sqrt_ratio_at_tick,
    quote_exact_input,
    quote_exact_output,
    swap,
)
from appliance.market.v3state import V3PoolWindow, window_words

INT256_MAX = 2**255 - 1
SPACING = 60


def ladder_pool(n_ticks: int, liquidity: int = 10**21) -> V3PoolState:
    """A full-range position plus initialized ticks every spacing on both sides of tick 0."""
    step = liquidity // (4 * n_ticks)
    edge = (887272 // SPACING) * SPACING
    nets = {-edge: liquidity, edge: -liquidity}
    for i in range(1, n_ticks + 1):  # positions [-i, i] spacings: liquidity thins outwards
        nets[-i * SPACING] = step
        nets[i * SPACING] = -step
    active = liquidity + step * n_ticks
    return V3PoolState(3000, SPACING, get_sqrt_ratio_at_tick(0) + 1, 0, active, nets)


def amount_to_cross(state: V3PoolState, zero_for_one: bool, crossings: int) -> int:
    """Exact input that ends half-way into the range after ``crossings`` initialized ticks."""
    k = crossings
    if zero_for_one:
        lo, hi = -(k + 1) * SPACING, -k * SPACING
    else:
        lo, hi = k * SPACING, (k + 1) * SPACING
    mid = get_sqrt_ratio_at_tick((lo + hi) // 2)
    r = swap(state, zero_for_one, INT256_MAX, mid)
    return r.amount0 if zero_for_one else r.amount1


def time_calls(fn, rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    return samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.99)] / 1000


def bench_quotes(rounds: int) -> None:
    state = ladder_pool(150)
    print(f"quote latency (µs, median / p99 over {rounds} calls; pool: {len(state.ticks)} ticks)")
    for crossings in (0, 10, 100):
        label = "within 1 tick" if crossings == 0 else f"across {crossings} ticks"
        for zero_for_one in (True, False):
            amount = amount_to_cross(state, zero_for_one, crossings)
            out = quote_exact_input(state, zero_for_one, amount)
            exact_in = time_calls(
                functools.partial(quote_exact_input, state, zero_for_one, amount), rounds
            )
            exact_out = time_calls(
                functools.partial(quote_exact_output, state, zero_for_one, out), rounds
            )
            full = time_calls(functools.partial(swap, state, zero_for_one, amount), rounds)
            side = "0->1" if zero_for_one else "1->0"
            print(
                f"  {label:15s} {side}: exact input {exact_in[0]:7.1f} / {exact_in[1]:7.1f}"
                f"   exact output {exact_out[0]:7.1f} / {exact_out[1]:7.1f}"
                f"   full swap {full[0]:7.1f} / {full[1]:7.1f}"
            )


def bench_memory() -> None:
    print("memory per V3PoolState (tracemalloc, 200 states each, Python ints)")
    for n_ticks in (10, 50, 200):
        rng = random.Random(n_ticks)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        states = []
        for _ in range(200):
            nets = {
                t * SPACING: rng.randrange(-(10**22), 10**22)
                for t in rng.sample(range(-5000, 5000), n_ticks)
            }
            states.append(
                V3PoolState(3000, SPACING, 2**96 + rng.randrange(10**20), 0, 10**22, nets)
            )
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        size = sum(s.size_diff for s in after.compare_to(before, "filename"))
        print(f"  {n_ticks:4d} initialized ticks: {size / len(states) / 1024:6.1f} KiB per pool")
        del states


def ladder_window(n_ticks: int) -> V3PoolWindow:
    """The ladder pool's window of 5 words around the price (what the appliance would fetch)."""
    state = ladder_pool(n_ticks)
    words_range = window_words(state.tick, SPACING, 2)
    words = dict.fromkeys(words_range, 0)
    ticks = {}
    for t, net in state.ticks.items():
        c = t // SPACING
        if c >> 8 in words_range:
            words[c >> 8] |= 1 << (c & 255)
            ticks[t] = (abs(net) + 10**18, net)
    return V3PoolWindow(
        fee=state.fee, tick_spacing=SPACING, sqrt_price_x96=state.sqrt_price_x96,
        tick=state.tick, liquidity=state.liquidity, words=words, ticks=ticks,
    )  # fmt: skip


def bench_window(rounds: int) -> None:
    window = ladder_window(150)
    amount = amount_to_cross(window.state, True, 0)
    quote = time_calls(functools.partial(window.quote_exact_input, True, amount), rounds)
    price, liquidity, tick = window.sqrt_price_x96, window.liquidity, window.tick

    def event_then_quote() -> None:
        window.apply_swap(price, liquidity, tick)  # a Swap log: the cached state is rebuilt
        window.quote_exact_input(True, amount)

    rebuilt = time_calls(event_then_quote, rounds)
    print(
        f"V3PoolWindow ({len(window.state.ticks)} ticks in 5 words), µs median / p99: "
        f"quote within 1 tick {quote[0]:.1f} / {quote[1]:.1f}; "
        f"Swap log + quote (state rebuilt) {rebuilt[0]:.1f} / {rebuilt[1]:.1f}"
    )
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    windows = [ladder_window(150) for _ in range(100)]
    for w in windows:
        _ = w.state  # the cached V3PoolState counts: a quoted pool holds one
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    size = sum(s.size_diff for s in after.compare_to(before, "filename"))
    print(f"  memory per V3PoolWindow with its cached state: {size / len(windows) / 1024:.1f} KiB")


def bench_quoter(seconds: float) -> None:
    import trio

    from appliance.devnet import start_devnet
    from tests.integration.market.v3_cases import draw_request, local_quote, price_after

    with start_devnet(seed=1, with_v3=True) as dn:
        v3 = dn.v3
        states = trio.run(lambda: _read_all(v3))
        rng = random.Random(7)
        checked = refused = mismatched = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            requests = []
            for _ in range(200):
                pool = rng.choice(v3.pools)
                requests.append(draw_request(rng, pool, states[pool.address]))
            answers = trio.run(v3.quotes, requests)
            for request, answer in zip(requests, answers, strict=True):
                state = states[request[0].address]
                mine = local_quote(state, request)
                ok = mine == (answer[0] if answer else None)
                if ok and answer is not None:
                    ok = price_after(state, request) == answer[1]
                checked += 1
                refused += answer is None
                mismatched += not ok
    print(
        f"QuoterV2 on Anvil: {checked} random quotes over {len(v3.pools)} pools "
        f"(4 fee tiers), {refused} refused by the Quoter, mismatches: {mismatched}"
    )


async def _read_all(v3):
    return {p.address: await v3.read_state(p) for p in v3.pools}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds in total")
    args = parser.parse_args()
    minutes = float(os.environ.get("BENCH_MINUTES", "0.5"))
    rounds = 500 if args.quick else 5000
    bench_quotes(rounds)
    bench_memory()
    bench_window(rounds)
    bench_quoter(3.0 if args.quick else minutes * 60)


if __name__ == "__main__":
    main()
