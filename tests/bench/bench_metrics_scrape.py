"""Benchmark of one Prometheus scrape of a box (prints figures; asserts nothing).

The production path: the Trio exporter (allow-list on) over real loopback HTTP, serving a
registry fed with one of every event (process collector, thermal zone, /proc/self/io), while
the box keeps handling events. Figures: wall time per scrape (median, p99), the exporter's CPU
per scrape, the exposition's size and sample count, and what a fleet's 15 s scrape interval
costs the box in CPU.

Run: .venv/bin/python tests/bench/bench_metrics_scrape.py [--quick]   (BENCH_MINUTES: duration)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "monitoring"))

from test_monitoring_files import exercised_metrics

from appliance.config.sections import MetricsConfig
from appliance.events import BlockSeen
from appliance.metrics import run_metrics


async def main(seconds: float) -> None:
    m = exercised_metrics(Path(tempfile.mkdtemp(prefix="bench-metrics-")))
    walls: list[float] = []
    async with trio.open_nursery() as nursery:
        server = await nursery.start(run_metrics, MetricsConfig(port=0), m)

        async def chain() -> None:  # the box keeps counting blocks meanwhile
            n = 0
            while True:
                n += 1
                m.observe(BlockSeen(n, "0x1", "0x0", n, None))
                await trio.sleep(0.01)

        nursery.start_soon(chain)
        cpu0, end = time.process_time(), time.monotonic() + seconds
        async with httpx.AsyncClient() as client:
            body = b""
            while time.monotonic() < end:
                t = time.perf_counter()
                r = await client.get(server.url)
                walls.append(time.perf_counter() - t)
                body = r.content
        cpu = time.process_time() - cpu0  # client + exporter: an upper bound for the exporter
        nursery.cancel_scope.cancel()
    n = len(walls)
    walls.sort()
    samples = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    per_scrape = cpu / n
    print(f"scrapes: {n} in {seconds:g} s over loopback HTTP")
    print(
        f"wall per scrape: median {statistics.median(walls) * 1e3:.2f} ms, "
        f"p99 {walls[int(0.99 * (n - 1))] * 1e3:.2f} ms"
    )
    print(f"CPU per scrape (exporter + client, upper bound): {per_scrape * 1e3:.2f} ms")
    print(f"exposition: {len(body)} bytes, {samples} samples")
    print(f"one box scraped every 15 s: {per_scrape / 15 * 100:.3f} % of one core")


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    minutes = float(os.environ.get("BENCH_MINUTES", "0") or 0)
    trio.run(main, 2.0 if quick else (minutes * 60 if minutes > 0 else 10.0))
