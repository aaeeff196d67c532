"""Benchmark of market intelligence: classification time per block at 200 swaps/block, and the
journal's SD writes per hour with intelligence on.

Run: .venv/bin/python tests/bench/bench_intel.py [--quick] [--minutes M] [--swaps-per-block N]
     [--only classify|sd] [--retention all|default|30|0]
     (BENCH_MINUTES sets --minutes, default 5; --quick: 2 minutes, fewer blocks; prints
     figures, asserts nothing; --retention default: only the production variant of the SD part)

Two paths, both production code:
* in process: 200 validated ``Swap`` logs per block (a busy block: plain swaps, 2- and 3-pool
  arbitrages, flash-funded ones, sandwiches) through the intel reader's decoding and
  :func:`classify_block` — what the task spends per block besides the one receipts request;
* on the devnet: a block with 200 real router swaps (and the rivals' trades) mined on Anvil,
  read by :class:`IntelReader` through the real RPC pool — the Swap logs request, the one
  batched receipts request, decoding and classification;
* SD writes: the real supervisor (``arb-appliance run``, paper mode, journal on, intelligence
  on) as a child process against a 500-pool devnet with 2 s blocks, the market simulator
  sending ``--swaps-per-block`` swaps after every block and the three rival searchers running.
  Measured: the bytes the supervisor process sent to the block layer (``write_bytes`` minus
  ``cancelled_write_bytes`` of ``/proc/<pid>/io`` at the start of the window; at its end the
  child is stopped with SIGTERM and reaped, so its last commit and the closing checkpoint of
  the WAL count too, read from ``getrusage(RUSAGE_CHILDREN).ru_oublock``). An upper bound of
  the journal's share: the state file (on the appliance in ``/run``, a tmpfs; here the config
  check refuses ``/dev/shm``) is on the same disk and its mmap pages count too; the process
  logs to a file in ``/dev/shm``. Extrapolated linearly from the window to an hour; rows per
  table are counted in the journal over the same window. Where the bytes go: a thread reads
  every frame the supervisor appends to the WAL (:class:`WalSpy`), each charged to its table or
  index by page number (``dbstat`` after the run), and counts the commits (commit frames) and
  the checkpoints' copies (the distinct pages of each WAL generation); the fsynced share of the
  commits comes from the store's own count, logged at its stop.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
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


ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/integration/supervisor"))
TABLES = ("blocks", "reserves", "opportunities", "arbitrages", "swaps")


def _proc_io(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        key, value = line.split(":")
        out[key] = int(value)
    return out


# A twin of the supervisor's state file (same capacity for 500 pools, published 4 times a
# second): what its mmap pages cost on this disk, where the appliance keeps it on a tmpfs.
_STATE_TWIN = """
import sys, time
from appliance.store.statefile import LiveState, StateWriter
from appliance.modes import Mode
w = StateWriter(sys.argv[1], capacity=512)
w.prices.extend([1.0] * 500)
live = LiveState(mode=Mode.NORMAL, head_block=1)
while True:
    live.head_block += 1
    w.prices[live.head_block % 500] = float(live.head_block)
    w.publish(live)
    time.sleep(0.25)
"""


class WalSpy:
    """Reads the journal's WAL as the supervisor appends to it (a thread, every 20 ms): every
    frame (page number, commit marker), so the bytes can be charged to tables; a checkpoint is
    seen as a new WAL generation (header salts change, or the file is truncated), and what it
    copied back into the database is the distinct pages of the generation it ended."""

    def __init__(self, wal: Path) -> None:
        self.wal = wal
        self.frames: Counter[int] = Counter()  # page number -> frames appended
        self.commits = 0
        self.generations = 0
        self.checkpoint_pages = 0  # distinct pages per ended generation, summed
        self.checkpoint_by_page: Counter[int] = Counter()
        self._gen_pages: set[int] = set()
        self._salt: bytes | None = None
        self._offset = 32
        self.page_size = 4096
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> WalSpy:
        self._poll(first=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._poll()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self._poll()

    def _new_generation(self) -> None:
        if self._gen_pages:
            self.generations += 1
            self.checkpoint_pages += len(self._gen_pages)
            self.checkpoint_by_page.update(self._gen_pages)
        self._gen_pages = set()
        self._offset = 32

    def _poll(self, first: bool = False) -> None:
        try:
            with open(self.wal, "rb") as f:
                head = f.read(32)
                if len(head) < 32:
                    if self._salt is not None:
                        self._new_generation()
                        self._salt = None
                    return
                self.page_size = struct.unpack(">I", head[8:12])[0]
                salt = head[16:24]
                if salt != self._salt:
                    if self._salt is not None:
                        self._new_generation()
                    self._salt = salt
                    if first:  # frames before the window are not counted
                        f.seek(0, 2)
                        self._offset = 32 + (f.tell() - 32) // (24 + self.page_size) * (
                            24 + self.page_size
                        )
                        return
                f.seek(self._offset)
                size = 24 + self.page_size
                while True:
                    frame = f.read(24)
                    if len(frame) < 24:
                        break
                    if frame[8:16] != salt:
                        break  # a stale frame of an earlier generation
                    body = f.read(self.page_size)
                    if len(body) < self.page_size:
                        break
                    pgno, commit = struct.unpack(">II", frame[:8])
                    self.frames[pgno] += 1
                    self._gen_pages.add(pgno)
                    if commit:
                        self.commits += 1
                    self._offset += size
        except FileNotFoundError:
            if self._salt is not None:
                self._new_generation()
                self._salt = None


def _page_tables(journal: Path) -> dict[int, str]:
    """Page number -> the table or index it belongs to (``dbstat``), read after the run."""
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT pageno, name FROM dbstat"))
    finally:
        db.close()


def _commit_counts(log_text: str) -> tuple[int, int] | None:
    """(commits, fsynced) since start, from the store's last log line."""
    found = re.findall(r"store: (\d+) journal commits since start, (\d+) of them fsynced", log_text)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def _checkpoint(journal: Path) -> None:
    db = sqlite3.connect(journal, timeout=10)
    try:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        db.close()


def _counts(journal: Path) -> dict[str, int]:
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        out = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES[:-1]}
        try:
            out["swaps"] = db.execute("SELECT coalesce(sum(n), 0) FROM swap_blocks").fetchone()[0]
        except sqlite3.OperationalError:  # a journal from before version 6 (a before/after run)
            out["swaps"] = db.execute("SELECT count(*) FROM swaps").fetchone()[0]
        return out
    finally:
        db.close()


def _journal_bytes(data: Path) -> int:
    return sum(f.stat().st_size for f in data.glob("journal.sqlite*"))


async def _sd_writes(pools: int, minutes: float, swaps_per_block: int, retention: int | None):
    from sup_helpers import appliance_config

    from appliance.commands.devnet import CORE_POOLS
    from appliance.devnet import open_devnet
    from appliance.devnet.searchers import run_searchers
    from appliance.devnet.service import run_anvil_watch
    from appliance.devnet.simulator import run_simulator

    with tempfile.TemporaryDirectory(prefix="arb-bench-intel-sd-") as tmp:
        tmp_path = Path(tmp)
        t_build = time.perf_counter()
        async with open_devnet(
            seed=1, block_time=2.0, data_dir=tmp_path / "devnet", n_pools_extra=pools - CORE_POOLS
        ) as dn:
            build_s = time.perf_counter() - t_build
            extra = "" if retention is None else f"swaps_retention_blocks = {retention}\n"
            path = await appliance_config(dn, tmp_path)
            text = path.read_text().replace("[storage]\n", "[storage]\n" + extra, 1)
            path.write_text(text)
            data = tmp_path / "data"
            async with trio.open_nursery() as nursery:
                await nursery.start(run_anvil_watch, dn)
                await nursery.start(run_searchers, dn)
                stats = await nursery.start(
                    lambda task_status: run_simulator(
                        dn, seed=1, swaps_per_block=swaps_per_block, task_status=task_status
                    )
                )
                out = await trio.to_thread.run_sync(_measure, path, data, minutes)
                nursery.cancel_scope.cancel()
    return build_s, stats, out


def _measure(config: Path, data: Path, minutes: float) -> dict:
    notify = config.parent / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify))
    env = dict(os.environ, NOTIFY_SOCKET=str(notify), GPIOZERO_PIN_FACTORY="mock")
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock
    log_path = Path("/dev/shm") / f"{config.parent.name}-run.log"  # not on the measured disk
    with open(log_path, "wb") as log:
        run = subprocess.Popen(
            [sys.executable, "-m", "appliance", "run", "--config", str(config)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        sock.settimeout(180)
        try:
            while b"READY=1" not in sock.recv(4096):
                pass
        except TimeoutError:
            run.kill()
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"arb-appliance run never got READY:\n{tail}") from None
        time.sleep(20)  # past start-up: discovery rows, the first reserves of every pool
        _checkpoint(data / "journal.sqlite")  # start-up's pages out of the WAL, by this process
        (config.parent / "twin").mkdir()
        twin = subprocess.Popen(
            [sys.executable, "-c", _STATE_TWIN, str(config.parent / "twin" / "state.bin")],
            cwd=ROOT,
        )
        time.sleep(1.0)
        twin0 = _proc_io(twin.pid)["write_bytes"]
        io0 = _proc_io(run.pid)
        spy = WalSpy(data / "journal.sqlite-wal").start()
        rows0, size0, t0 = _counts(data / "journal.sqlite"), _journal_bytes(data), time.monotonic()
        time.sleep(minutes * 60)
        rows1, size1 = _counts(data / "journal.sqlite"), _journal_bytes(data)
        io1 = _proc_io(run.pid)
        state_share = _proc_io(twin.pid)["write_bytes"] - twin0
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock
        twin.kill()
        twin.wait()
        twin_total = (resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock - reaped) * 512
        elapsed = time.monotonic() - t0
        run.send_signal(signal.SIGTERM)
        run.wait(60)
        spy.stop()
        log_text = log_path.read_text(errors="replace")
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        sock.close()
        log_path.unlink(missing_ok=True)
    # the twin was reaped too: its bytes are the state-file share, counted apart
    total = (resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock - children0) * 512
    total -= twin_total
    return {
        "elapsed": elapsed,
        "window_live": io1["write_bytes"] - io0["write_bytes"],
        "window_with_close": total - io0["write_bytes"],
        "state_share": state_share,
        "rows": {t: rows1[t] - rows0[t] for t in TABLES},
        "growth": size1 - size0,
        "spy": spy,
        "pages": _page_tables(data / "journal.sqlite"),
        "commit_counts": _commit_counts(log_text),
    }


def sd_writes(pools: int, minutes: float, swaps_per_block: int, retention: int | None) -> None:
    build_s, stats, m = trio.run(_sd_writes, pools, minutes, swaps_per_block, retention)
    per_h = 3600 / m["elapsed"]
    blocks = m["rows"]["blocks"]
    swaps_per_block_seen = m["rows"]["swaps"] / blocks if blocks else 0
    rows = ", ".join(f"{t} {n * per_h:,.0f}" for t, n in m["rows"].items())
    kept = {None: "default (43,200 blocks)", 0: "0 (swaps not journaled)"}.get(
        retention, f"{retention} blocks (pruning active)"
    )
    print(
        f"SD writes, {pools} pools (devnet built in {build_s:.0f} s), 2 s blocks, simulator "
        f"{swaps_per_block} swaps/block + 3 rival searchers, swaps retention {kept}: "
        f"window {m['elapsed'] / 60:.1f} min, {blocks} blocks journaled, "
        f"{swaps_per_block_seen:.1f} swaps/block journaled, simulator sent {stats.sent} "
        f"({stats.failed} failed)"
    )
    mb = lambda b: f"{b * per_h / 1e6:.1f} MB/h"  # noqa: E731
    journal = m["window_with_close"] - m["state_share"]
    print(
        f"  supervisor writes {mb(m['window_with_close'])} incl. its last commit and the closing "
        f"WAL checkpoint ({mb(m['window_live'])} before them), of which its state file "
        f"(tmpfs on the appliance; a twin measured here) {mb(m['state_share'])}: "
        f"journal {mb(journal)} (goal <= 50 MB/h in total; x{per_h:.1f} from the window); "
        f"journal files grew {mb(m['growth'])}"
    )
    print(f"  rows per hour: {rows}")
    _print_tables(m, per_h)


def _print_tables(m: dict, per_h: float) -> None:
    """Per table: WAL frames appended (each commit appends every page it changed) and the
    pages the checkpoints copied back into the database file, both per hour."""
    spy, pages = m["spy"], m["pages"]
    frame = spy.page_size + 24
    wal: Counter[str] = Counter()
    back: Counter[str] = Counter()
    for pgno, n in spy.frames.items():
        wal[pages.get(pgno, "(ptrmap/free/header)")] += n
    for pgno, n in spy.checkpoint_by_page.items():
        back[pages.get(pgno, "(ptrmap/free/header)")] += n
    counts = m["commit_counts"]
    fsynced = ""
    if counts and counts[0]:
        fsynced = f", of them fsynced ~{spy.commits * counts[1] / counts[0] * per_h:,.0f}/h"
    print(
        f"  journal commits {spy.commits * per_h:,.0f}/h{fsynced} (since start: "
        f"{counts and counts[0]} commits, {counts and counts[1]} fsynced); WAL checkpoints "
        f"{spy.generations * per_h:,.0f}/h; WAL {sum(wal.values()) * frame * per_h / 1e6:.1f} "
        f"MB/h + checkpoint copies {spy.checkpoint_pages * spy.page_size * per_h / 1e6:.1f} MB/h"
    )
    print(f"  {'table or index':<28} {'WAL frames/h':>13} {'WAL MB/h':>9} {'ckpt MB/h':>10}")
    for name, n in sorted(wal.items(), key=lambda kv: -kv[1]):
        print(
            f"  {name:<28} {n * per_h:>13,.0f} {n * frame * per_h / 1e6:>9.2f} "
            f"{back[name] * spy.page_size * per_h / 1e6:>10.2f}"
        )


def _ms(values: list[float]) -> str:
    qs = statistics.quantiles(values, n=100) if len(values) >= 2 else values * 99
    return f"p50 {statistics.median(values) * 1e3:.2f} ms  p99 {qs[98] * 1e3:.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer blocks, a 2-minute SD window")
    ap.add_argument(
        "--minutes",
        type=float,
        default=float(os.environ.get("BENCH_MINUTES", 5)),
        help="the SD-write window (default: BENCH_MINUTES or 5)",
    )
    ap.add_argument("--swaps-per-block", type=int, default=30, help="simulator swaps per block")
    ap.add_argument("--pools", type=int, default=500)
    ap.add_argument("--only", choices=("classify", "sd"), default=None, help="run one part only")
    ap.add_argument(
        "--retention",
        choices=("all", "default", "30", "0"),
        default="all",
        help="SD part: the swaps-retention variants to run (default: all three)",
    )
    args = ap.parse_args()
    quick = args.quick
    minutes = min(args.minutes, 2.0) if quick else args.minutes
    if args.only != "sd":
        classify(quick)
    if args.only != "classify":
        variants = {"all": (None, 30, 0), "default": (None,), "30": (30,), "0": (0,)}
        for retention in variants[args.retention]:
            sd_writes(args.pools, minutes, args.swaps_per_block, retention)


def classify(quick: bool) -> None:
    times = in_process(50 if quick else 500)
    print(f"in process, {SWAPS} swaps/block, decode + classify: {_ms(times)} ({len(times)} blocks)")
    devnet = trio.run(on_devnet, 2 if quick else 5)
    walls = [row[0] for row in devnet]
    logs = statistics.median(row[1] for row in devnet)
    print(
        f"devnet, {logs:.0f} Swap logs/block, logs request + one eth_getBlockReceipts + classify: "
        f"{_ms(walls)} ({len(walls)} blocks)"
    )
    print(
        f"  of which the logs request {_ms([row[2] for row in devnet])}; transactions with a swap "
        f"(sender, target, gas from the block's receipts): {statistics.median(row[3] for row in devnet):.0f}"
    )


if __name__ == "__main__":
    main()
