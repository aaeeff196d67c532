"""Benchmark: seconds from nothing to a ready devnet (Anvil up, market deployed, config written).

Run: .venv/bin/python tests/bench/bench_devnet.py    (prints figures; asserts nothing)
Goals: core market (24 pools) < 5 s; 500 pools < 30 s; 2,000 pools < 120 s;
`arb-appliance demo` prints "market ready" within 60 s.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trio

from appliance.devnet import AnvilNode, start_devnet

CORE_POOLS = 24


def _time_anvil(repeat: int = 3) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with AnvilNode(no_mining=True):
            out.append(time.perf_counter() - t0)
    return out


def _time_devnet(n_pools_extra: int) -> tuple[float, int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with start_devnet(seed=1, data_dir=Path(tmp), n_pools_extra=n_pools_extra) as dn:
            ready = time.perf_counter() - t0
            t1 = time.perf_counter()
            reserves = trio.run(dn.all_reserves)
            read = time.perf_counter() - t1
            assert reserves == dn.initial_reserves
            return ready, len(dn.pools), read


def _time_demo() -> float:
    """``arb-appliance demo`` (no terminal): seconds until it prints "market ready"."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance", "demo", "--no-ui"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in proc.stdout:
            if "market ready" in line:
                return time.perf_counter() - t0
        return float("nan")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def main() -> None:
    print("bench_devnet: seconds from nothing to a ready devnet")
    anvil = _time_anvil()
    print(
        f"  anvil start (answers eth_chainId): median {statistics.median(anvil):.3f} s over {len(anvil)} runs"
    )
    core = [_time_devnet(0) for _ in range(3)]
    print(
        f"  core market ({core[0][1]} pools): median {statistics.median(c[0] for c in core):.2f} s to ready (goal < 5 s)"
    )
    for extra, goal in ((500 - CORE_POOLS, 30), (2000 - CORE_POOLS, 120)):
        ready, pools, read = _time_devnet(extra)
        print(
            f"  {pools} pools: {ready:.2f} s to ready (goal < {goal} s); all reserves read back in {read:.2f} s"
        )
    print(f"  arb-appliance demo: {_time_demo():.2f} s to 'market ready' (goal <= 60 s)")


if __name__ == "__main__":
    main()
