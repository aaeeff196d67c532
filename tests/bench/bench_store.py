"""Benchmarks of the store: journal insert rate, state-file read latency, SD writes per hour.

Run: ``.venv/bin/python tests/bench/bench_store.py`` (about a minute; ``--quick`` or
``BENCH_MINUTES`` below 2 builds a 200,000-row journal for the start-up check figures instead of
2,000,000). Prints figures and goals;
asserts nothing. Files go to a temporary directory on the disk holding ``$TMPDIR``.
"""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from appliance.events import (
    BlockSeen,
    Candidate,
    CandidatesFound,
    Leg,
    OrderApproved,
    OrderRejected,
    PoolInfo,
    PoolsDiscovered,
    ReservesUpdated,
    TokenInfo,
    TradeStatus,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.store.journal import Journal
from appliance.store.recorder import Recorder
from appliance.store.statefile import LiveState, StateReader, StateWriter

WETH, USDC = "0x" + "11" * 20, "0x" + "22" * 20


def io_counters() -> dict[str, int]:
    """``wchar`` (bytes handed to write syscalls) and ``write_bytes`` (sent to the block layer)."""
    out = {}
    with open("/proc/self/io") as f:
        for line in f:
            key, value = line.split(":")
            out[key] = int(value)
    return out


def bench_inserts(tmp: Path) -> None:
    """Rows prepared beforehand: the figure is the journal's, not Python's row building."""
    rng = random.Random(1)
    with Journal(tmp / "inserts.sqlite") as journal:
        for batch in (500, 10_000):
            prepared = [
                [
                    (0, p, str(rng.getrandbits(100)), str(rng.getrandbits(70)))
                    for p in range(1, batch + 1)
                ]
                for _ in range(4)
            ]
            rows_total, block, started = 0, 0, time.perf_counter()
            while time.perf_counter() - started < 3.0:
                block += 1
                rows = [(block, *row[1:]) for row in prepared[block % 4]]
                with journal.transaction():
                    journal.add_reserves(rows)
                rows_total += batch
            elapsed = time.perf_counter() - started
            print(
                f"reserve inserts, {batch:>6,} rows per transaction: "
                f"{rows_total / elapsed:>10,.0f} rows/s (goal >= 100,000/s batched)"
            )


def bench_state_reads(tmp: Path) -> None:
    path = tmp / "state.bin"
    with StateWriter(path, capacity=2048) as writer:
        writer.prices.extend(random.random() for _ in range(2000))
        writer.publish(LiveState(mode=Mode.NORMAL, head_block=1, breakers={"trade": "closed"}))
        with StateReader(path) as reader:
            for label, fn, goal in (
                (
                    "header read (seqlock copy + CRC)",
                    lambda: reader.read_raw(prices=False),
                    "<= 5 us",
                ),
                (
                    "header read decoded to StateSnapshot",
                    lambda: reader.snapshot(prices=False),
                    "(for reference)",
                ),
                ("2,000 prices (array of float64)", reader.prices, "<= 50 us"),
                ("full snapshot with 2,000 prices", reader.snapshot, "(for reference)"),
            ):
                n = 20_000
                for _ in range(1000):
                    fn()
                best = math.inf
                for _ in range(5):
                    t0 = time.perf_counter()
                    for _ in range(n):
                        fn()
                    best = min(best, (time.perf_counter() - t0) / n)
                print(f"{label:<40} {best * 1e6:7.2f} us (best of 5 x {n:,}; goal {goal})")
            n = 20_000
            t0 = time.perf_counter()
            live = LiveState(mode=Mode.NORMAL, head_block=1)
            for i in range(n):
                live.head_block = i
                writer.publish(live)
            print(
                f"{'state-file publish (writer)':<40} {(time.perf_counter() - t0) / n * 1e6:7.2f} us"
            )


def simulate_hour(
    tmp: Path, *, pools: int, changed: int, commit_every_blocks: int, fraction: int = 1
) -> None:
    """One simulated hour at 2 s blocks through the real Recorder; bytes written counted.

    ``fraction`` > 1 simulates 1/fraction of the hour and scales the byte figures up.
    """
    blocks = 1800 // fraction
    data = tmp / f"hour-{changed}-{commit_every_blocks}"
    journal = Journal(data / "journal.sqlite")
    state = StateWriter(data / "state.bin", capacity=pools)
    recorder = Recorder(journal, state)
    rng = random.Random(7)
    addresses = [f"0x{0x1000 + i:040x}" for i in range(pools)]
    recorder.handle(
        PoolsDiscovered(
            (TokenInfo(WETH, "WETH", 18), TokenInfo(USDC, "USDC", 6)),
            tuple(PoolInfo(a, "uni", WETH, USDC, 30) for a in addresses),
        )
    )
    recorder.commit(recorder.take_batch())
    journal.checkpoint()
    reserves = {a: [10**21, 3 * 10**12] for a in addresses}
    before, t0 = io_counters(), time.perf_counter()
    size0 = sum(f.stat().st_size for f in data.glob("journal.sqlite*"))
    t_chain = 1_700_000_000
    for n in range(1, blocks + 1):
        now = t_chain + 2 * n
        recorder.handle(BlockSeen(n, f"0x{n:064x}", f"0x{n - 1:064x}", now, 10**9), now)
        update = {}
        for a in rng.sample(addresses, changed):
            r = reserves[a]
            r[0] += rng.randint(-(10**18), 10**18)
            r[1] += rng.randint(-(10**9), 10**9)
            update[a] = (r[0], r[1])
        recorder.handle(ReservesUpdated(n, f"0x{n:064x}", update), now)
        cands = []
        for k in range(10):
            legs = (Leg(addresses[k], WETH, USDC, 30), Leg(addresses[k + 1], USDC, WETH, 30))
            amount = 10**17 + rng.getrandbits(56)
            cands.append(
                Candidate(n, legs, WETH, amount, amount + rng.getrandbits(50), 120_000, 10**14)
            )
        recorder.handle(CandidatesFound(n, tuple(cands), 0.0), now)
        for c in cands[1:]:
            recorder.handle(OrderRejected(c, "min_profit", "below 5 bps"), now)
        if n % 100 == 0:  # a paper trade every 200 s
            recorder.handle(OrderApproved(cands[0], Mode.NORMAL, f"o{n}"), now)
            recorder.handle(
                TradeUpdated(f"o{n}", TradeStatus.PAPER, Mode.NORMAL, amount_in=cands[0].amount_in),
                now,
            )
        recorder.publish(now)
        if n % commit_every_blocks == 0:
            recorder.commit(recorder.take_batch())
        if n % 150 == 0:  # checkpoint every 300 s of chain time
            journal.checkpoint()
    recorder.commit(recorder.take_batch())
    journal.checkpoint()
    elapsed = time.perf_counter() - t0
    after = io_counters()
    size1 = sum(f.stat().st_size for f in data.glob("journal.sqlite*"))
    rows = journal.conn.execute("SELECT count(*) FROM reserves").fetchone()[0]
    wchar = (after["wchar"] - before["wchar"]) / 1e6 * fraction
    wbytes = (after["write_bytes"] - before["write_bytes"]) / 1e6 * fraction
    scaled = f" ({60 // fraction} simulated minutes x {fraction})" if fraction > 1 else ""
    print(
        f"simulated hour, {pools} pools, {changed:>3} changed/block, commit every "
        f"{commit_every_blocks} block(s): {wchar:6.1f} MB written (write calls), "
        f"{wbytes:6.1f} MB to the block layer, journal +{(size1 - size0) / 1e6 * fraction:5.1f} MB, "
        f"{rows:,} reserve rows{scaled}, {elapsed:.1f} s to simulate (goal <= 50 MB/h)"
    )
    state.close()
    journal.close()


def bench_startup_checks(tmp: Path, rows: int) -> None:
    """What ``run`` adds at every start: ``check_journal`` (integrity_check, or quick_check above
    QUICK_CHECK_ABOVE), run twice (preflight in main, then the store task); and the one-off
    ``journal recover`` salvage of the same journal with one damaged page."""
    from appliance.store.preflight import QUICK_CHECK_ABOVE, check_journal
    from appliance.store.recovery import recover_journal

    path = tmp / f"startup-{rows}.sqlite"
    rng = random.Random(2)
    with Journal(path) as journal:
        for start in range(0, rows, 50_000):
            n = min(50_000, rows - start)
            journal.add_reserves(
                [
                    (start + i, 1 + i % 500, str(rng.getrandbits(100)), str(rng.getrandbits(70)))
                    for i in range(n)
                ]
            )
        journal.checkpoint()
    size = path.stat().st_size
    for label, above in (("integrity_check", size + 1), ("quick_check", 0)):
        started = time.perf_counter()
        check_journal(path, quick_above=above)
        print(
            f"start-up {label}: {size / 1e6:.0f} MB journal ({rows:,} reserve rows) "
            f"{time.perf_counter() - started:.2f} s"
        )
    print(f"  (run uses integrity_check up to {QUICK_CHECK_ABOVE >> 20} MiB, twice per start)")
    raw = bytearray(path.read_bytes())
    page = len(raw) // 4096 // 2
    raw[page * 4096 : page * 4096 + 4096] = rng.randbytes(4096)
    path.write_bytes(bytes(raw))
    started = time.perf_counter()
    done = recover_journal(path, use_cli=False)
    elapsed = time.perf_counter() - started
    print(
        f"journal recover (python salvage), one damaged page: {done.rows['reserves']:,} rows kept, "
        f"{done.lost.get('reserves', 0)} rowids skipped, {elapsed:.1f} s "
        f"({done.rows['reserves'] / elapsed:,.0f} rows/s)"
    )


def main() -> None:
    quick = "--quick" in sys.argv or float(os.environ.get("BENCH_MINUTES", "10")) < 2
    with tempfile.TemporaryDirectory(prefix="bench_store_", dir=os.environ.get("TMPDIR")) as d:
        tmp = Path(d)
        print("== store benchmark")
        bench_startup_checks(tmp, 200_000 if quick else 2_000_000)
        bench_inserts(tmp)
        bench_state_reads(tmp)
        print("SD writes per hour: 2 s blocks, 10 candidates per block, a paper trade per 200 s")
        # commit_interval_s = 10 (the default) at 2 s blocks: a commit every 5 blocks
        simulate_hour(tmp, pools=500, changed=100, commit_every_blocks=5)
        simulate_hour(tmp, pools=500, changed=100, commit_every_blocks=1)  # commit_interval_s = 0
        simulate_hour(tmp, pools=500, changed=500, commit_every_blocks=5, fraction=4)


if __name__ == "__main__":
    main()
