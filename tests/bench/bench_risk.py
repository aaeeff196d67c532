"""Benchmark of the risk package: gate decision latency and VaR/CVaR update time.

Run: .venv/bin/python tests/bench/bench_risk.py   (prints figures; asserts nothing)
Goals: gate decision p99 <= 100 µs; VaR/CVaR update with 10,000 history points <= 1 ms.

On a shared, loaded machine a call that straddles a scheduler preemption costs a whole time
slice (~4 ms); a 0.1 ms call does so a few % of the time, which is what its p99 then shows.
The "quietest-round" figures and p90 are printed so that effect can be told apart.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from appliance.config import RiskConfig
from appliance.events import BlockSeen, Candidate, CandidatesFound, Leg
from appliance.modes import Mode
from appliance.risk import GateContext, Limits, RiskEngine, TailRisk, gate
from appliance.safety import SafetyLatch

ETH = 10**18
GWEI = 10**9
BASE = "0x" + "11" * 20
TOKENS = ["0x" + f"{i:02x}" * 20 for i in range(0x20, 0x28)]
POOLS = ["0x" + f"{i:02x}" * 20 for i in range(0x40, 0x60)]


def candidates(n: int, rng: random.Random) -> list[Candidate]:
    out = []
    for _ in range(n):
        a, b = rng.sample(TOKENS, 2)
        p = rng.sample(POOLS, 3)
        amount = rng.randrange(ETH // 100, ETH)
        out.append(
            Candidate(
                block=100,
                legs=(Leg(p[0], BASE, a, 30), Leg(p[1], a, b, 30), Leg(p[2], b, BASE, 30)),
                base_token=BASE,
                amount_in=amount,
                amount_out=amount + rng.randrange(-(ETH // 1000), ETH // 50),
                gas_estimate=225_000,
                gas_cost=rng.randrange(ETH // 100_000, ETH // 10_000),
            )
        )
    return out


def percentiles(samples_s: list[float]) -> tuple[float, float, float]:
    s = sorted(samples_s)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] * 1e6  # noqa: E731
    return pick(0.50), pick(0.99), statistics.fmean(s) * 1e6


def quietest_p99(rounds: list[list[float]]) -> float:
    """p99 of the least-disturbed round: on a shared, loaded machine the overall p99 mostly
    measures preemption by other processes."""
    return min(percentiles(r)[1] for r in rounds)


def bench_gate() -> None:
    rng = random.Random(1)
    limits = Limits.from_config(RiskConfig(max_orders_per_block=4, max_pending_trades=4))
    ctx = GateContext(
        mode=Mode.NORMAL,
        latch_tripped=False,
        head_block=100,
        head_age_s=0.8,
        reserves_block=100,
        rpc_healthy=True,
        base_fee=12 * GWEI,
        tip=GWEI,
        inventory={BASE: 50 * ETH},
        token_exposure={BASE: ETH},
        pool_exposure={(POOLS[0], BASE): ETH},
        pending=1,
        orders_this_block=0,
        denied=frozenset({TOKENS[-1]}),
        breakers={"trade": "closed", "session": "closed", "daily": "closed", "drawdown": "closed"},
        size_multiplier=0.5,
        exposure_scale={BASE: 0.8},
    )
    cands = candidates(2000, rng)
    for c in cands[:200]:  # warm up
        gate(c, ctx, limits)
    rounds, approved = [], 0
    for _ in range(10):
        samples = []
        for c in cands:
            t0 = time.perf_counter()
            d = gate(c, ctx, limits)
            samples.append(time.perf_counter() - t0)
            approved += d.approved
        rounds.append(samples)
    p50, p99, mean = percentiles([x for r in rounds for x in r])
    print(
        f"gate decision (pure):           p50 {p50:7.2f} µs  p99 {p99:7.2f} µs  mean {mean:6.2f} µs  "
        f"quietest-round p99 {quietest_p99(rounds):6.2f} µs  n={sum(map(len, rounds))} "
        f"approved={approved}   goal p99 <= 100 µs"
    )

    # the engine path the risk task runs per candidate: latch check + context build + gate
    with tempfile.TemporaryDirectory() as tmp:
        engine = RiskEngine(
            RiskConfig(max_orders_per_block=100, max_pending_trades=100),
            latch=SafetyLatch(Path(tmp)),
            inventory={BASE: 50 * ETH},
            equity_token=BASE,
        )
        engine.on_health(True, True)
        engine.on_block(BlockSeen(100, "0x" + "00" * 32, "0x" + "00" * 32, 0, 12 * GWEI))
        engine.on_candidates(
            CandidatesFound(100, tuple(cands[:3]), seen_at=time.monotonic())
        )  # some pending
        rounds = []
        for _ in range(5):
            samples = []
            for c in cands:
                t0 = time.perf_counter()
                engine.decide(c)
                samples.append(time.perf_counter() - t0)
            rounds.append(samples)
        p50, p99, mean = percentiles([x for r in rounds for x in r])
        print(
            f"engine decision (ctx + gate):   p50 {p50:7.2f} µs  p99 {p99:7.2f} µs  mean {mean:6.2f} µs  "
            f"quietest-round p99 {quietest_p99(rounds):6.2f} µs  n={sum(map(len, rounds))}"
        )


def bench_var() -> None:
    rng = random.Random(2)
    tr = TailRisk(window=10_000)
    tr.load(rng.gauss(1e15, 5e15) for _ in range(10_000))
    rounds = []
    for _ in range(5):
        samples = []
        for _ in range(200):
            x = rng.gauss(1e15, 5e15)
            t0 = time.perf_counter()
            fig = tr.add(x)
            samples.append(time.perf_counter() - t0)
        rounds.append(samples)
    flat = sorted(x for r in rounds for x in r)
    p50, p99, mean = percentiles(flat)
    p90 = flat[int(0.9 * len(flat))] * 1e3
    print(
        f"VaR/CVaR 95/99 update, 10,000 points: p50 {p50 / 1000:6.3f} ms  p90 {p90:6.3f} ms  p99 {p99 / 1000:6.3f} ms  "
        f"mean {mean / 1000:6.3f} ms  quietest-round p99 {quietest_p99(rounds) / 1000:6.3f} ms   goal <= 1 ms"
        f"   (var95 {fig.var95 / 1e18:.4f} ETH, cvar99 {fig.cvar99 / 1e18:.4f} ETH)"
    )


def bench_prices() -> None:
    """The per-block price observation the market now sends (#14.9): volatility regime,
    correlations and valuation rates, over a full ``vol_window`` of 100 blocks."""
    rng = random.Random(3)
    for n_tokens in (2, 8):
        with tempfile.TemporaryDirectory() as tmp:
            engine = RiskEngine(RiskConfig(), latch=SafetyLatch(Path(tmp)), equity_token=BASE)
            engine.startup_records()
            engine.on_inventory({t: ETH for t in TOKENS[:n_tokens]})
            prices = {t: 1.0 for t in TOKENS[:n_tokens]}
            samples = []
            for _ in range(1100):
                prices = {t: p * (1 + rng.gauss(0, 0.003)) for t, p in prices.items()}
                start = time.perf_counter()
                engine.on_prices(prices)
                samples.append(time.perf_counter() - start)
        p50, p99, mean = percentiles(samples[100:])
        print(
            f"price observation, {n_tokens} tokens, window 100: p50 {p50 / 1e3:7.3f} ms  "
            f"p99 {p99 / 1e3:7.3f} ms  mean {mean / 1e3:7.3f} ms  regime {engine.regime}"
        )


if __name__ == "__main__":
    print("== bench_risk")
    bench_gate()
    bench_var()
    bench_prices()
