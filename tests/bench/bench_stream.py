"""Streaming vs polling chain input (issue #15), side by side, on loopback Anvil. Prints figures.

The reference instant ("block mined"): a *witness*, a separate minimal process (a blocking
socket speaking RFC 6455 by hand, nothing else to do) subscribed to the same Anvil's ``newHeads``,
stamps the instant each head reaches it (``time.perf_counter_ns`` = CLOCK_MONOTONIC, shared by
all processes of the box, and wall time for the journal's timestamps). That is the earliest a
client on this box can know of the block; our figure is how much later the appliance knows it.
Anvil writes to its subscribers one after the other, in no promised order, so a figure may be
slightly negative. The witness runs at nice -20 (the highest priority: its stamp is never late
because of the load). Blocks are mined by a second helper process (``evm_mine`` on its own
socket, at nice -20, told by one byte on a pipe), so no answer of the harness is parsed on the
measured loop; its ``evm_mine`` round trip (Anvil mining the block: its state grows with the
pools) is printed beside the figures but is not part of any.

Priority (``--priority normal|unit|both``, default both): streaming is measured at normal
priority and again with every thread of this process at exactly the priority
``systemd/arb-appliance.service`` gives the supervisor (its ``Nice=`` and ``IOScheduling*=``,
read from the unit); each line says which. Anvil stays at normal priority.

1. witness -> ``BlockSeen`` and -> its ``ReservesUpdated``, p50/p99, through ``run_chain``
   (the production chain task: follower, stream, reserves), for 500 and 2,000 real Uniswap V2
   pools, block times 2 s and 0.25 s, streaming (``http|ws`` pair) and polling (``http``).
   Every block carries a swap.
2. witness -> order signed (``Pipeline.sign`` returned) and -> SIGNED row journaled, p50/p99,
   through the real in-process supervisor in live mode (journal on, simulation on, real
   threads): a dislocating swap is mined, the appliance finds, sizes, gates, simulates, signs
   and journals the arbitrage. With a per-stage breakdown (perf_counter marks taken by wrapping
   the production methods in this process), how many windows (block -> signed) a GC pause
   overlapped, with ``--steps`` the loop time each Trio task took inside the windows (a
   ``trio.abc.Instrument``: what held the loop between a block and its signature) and, with
   ``--profile``, a cProfile of the windows.
3. no missed or duplicated block over ``BENCH_MINUTES`` (default 10) at 0.25 s blocks (mined on
   a fixed 0.25 s cadence, a swap in every fourth), through the real supervisor in live mode with
   the journal on: every ``BlockSeen`` the store receives is counted, and the journal's blocks
   are compared with the chain's hashes.

Samples: part 1 mines ``--blocks`` (default 110) blocks per case, part 2 makes dislocations until
``--signed`` (default 100) orders were signed per case (each lands, and its receipt is tracked,
before the next: ``risk.max_pending_trades`` = 1). Percentiles are nearest-rank: with 100
samples the p99 is the second largest, with fewer it comes near the maximum, and the verdicts say
"undecided" under 100. The last lines: one MET / NOT MET per goal.

Usage: python tests/bench/bench_stream.py [--quick] [--pools 500 2000] [--blocks 110] [--signed 100]
[--parts 123] [--priority both] [--profile] [--steps]
``--quick``: 500 pools, 15 blocks / 15 signed per case, 1 minute for part 3 (BENCH_MINUTES overrides).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import io
import itertools
import json
import math
import os
import pstats
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/integration/supervisor"))


# ------------------------------------------------------------------------------- the witness
def _ws_send_text(sock: socket.socket, text: str) -> None:
    payload, mask = text.encode(), os.urandom(4)
    n = len(payload)
    header = bytes([0x81]) + (
        bytes([0x80 | n])
        if n < 126
        else bytes([0x80 | 126]) + n.to_bytes(2, "big")
        if n < 65536
        else bytes([0x80 | 127]) + n.to_bytes(8, "big")
    )
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def witness_main(url: str, out_path: str) -> None:
    """The reference client: one newHeads subscription, every head stamped on arrival."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET / HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(65536)
    head, buf = buf.split(b"\r\n\r\n", 1)
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise SystemExit(f"witness: handshake refused: {head[:80]!r}")
    _ws_send_text(
        sock,
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}),
    )
    out = open(out_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the process
    stamp = (time.perf_counter_ns(), time.time_ns())
    message = b""
    while True:
        while len(buf) < 2:
            chunk = sock.recv(1 << 20)
            stamp = (time.perf_counter_ns(), time.time_ns())
            if not chunk:
                return
            buf += chunk
        frame_stamp = stamp  # when the frame's first bytes arrived
        b0, b1 = buf[0], buf[1]
        n, at = b1 & 0x7F, 2
        if n == 126:
            need = 4
        elif n == 127:
            need = 10
        else:
            need = 2
        while len(buf) < need:
            buf += sock.recv(1 << 20)
        if n == 126:
            n, at = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127:
            n, at = int.from_bytes(buf[2:10], "big"), 10
        while len(buf) < at + n:
            chunk = sock.recv(1 << 20)
            if not chunk:
                return
            buf += chunk
        payload, buf = buf[at : at + n], buf[at + n :]
        opcode = b0 & 0x0F
        if opcode == 0x9:  # ping: answer pong (masked, as a client must)
            mask = os.urandom(4)
            sock.sendall(
                bytes([0x8A, 0x80 | len(payload)])
                + mask
                + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            )
            continue
        if opcode == 0x8:
            return
        message += payload
        if not b0 & 0x80:
            continue  # a fragment: the message goes on
        obj, message = json.loads(message), b""
        if obj.get("id") == 1:
            out.write("ready\n")
        elif obj.get("method") == "eth_subscription":
            number = int(obj["params"]["result"]["number"], 16)
            out.write(f"{number} {frame_stamp[0]} {frame_stamp[1]}\n")


class Witness:
    """The witness process (started and stopped by us, by its own pid)."""

    def __init__(self, ws_url: str) -> None:
        fd, self.path = tempfile.mkstemp(prefix="arb-bench-witness-")
        os.close(fd)
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--witness", ws_url, self.path],
            stdin=subprocess.DEVNULL,
            preexec_fn=lambda: os.setpriority(os.PRIO_PROCESS, 0, WITNESS_NICE),
        )
        deadline = time.monotonic() + 20
        while "ready" not in Path(self.path).read_text():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("the witness did not subscribe")
            time.sleep(0.02)

    def heads(self) -> dict[int, tuple[float, float]]:
        """Block number -> (perf_counter seconds, unix seconds) of its first arrival."""
        out: dict[int, tuple[float, float]] = {}
        for line in Path(self.path).read_text().splitlines()[1:]:
            number, mono, wall = line.split()
            out.setdefault(int(number), (int(mono) / 1e9, int(wall) / 1e9))
        return out

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)
        os.unlink(self.path)


def miner_main(url: str, out_path: str) -> None:
    """The miner: one ``evm_mine`` per line read from stdin, over its own blocking socket; each
    round trip written to ``out_path``. The measured process only writes a byte to a pipe: no
    HTTP answer of the harness is parsed on the appliance's loop while a head is in flight."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []}).encode()
    request = (
        f"POST / HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    out = open(out_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the process
    for _line in sys.stdin.buffer:
        t0 = time.perf_counter()
        sock.sendall(request)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(65536)
        head, rest = buf.split(b"\r\n\r\n", 1)
        length = next(
            int(h.split(b":", 1)[1])
            for h in head.split(b"\r\n")
            if h.lower().startswith(b"content-length:")
        )
        while len(rest) < length:
            rest += sock.recv(65536)
        out.write(f"{time.perf_counter() - t0}\n")


class Miner:
    """The miner process (started and stopped by us, by its own pid)."""

    def __init__(self, http_url: str) -> None:
        fd, self.path = tempfile.mkstemp(prefix="arb-bench-miner-")
        os.close(fd)
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--miner", http_url, self.path],
            stdin=subprocess.PIPE,
            preexec_fn=lambda: os.setpriority(os.PRIO_PROCESS, 0, WITNESS_NICE),
        )
        assert self.proc.stdin is not None
        os.set_blocking(self.proc.stdin.fileno(), False)  # one byte never blocks a pipe

    def mine(self) -> None:
        assert self.proc.stdin is not None
        os.write(self.proc.stdin.fileno(), b"\n")

    def round_trips(self) -> list[float]:
        return [float(x) for x in Path(self.path).read_text().split()]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(5)
        os.unlink(self.path)


@contextmanager
def mining(dn):
    m = Miner(dn.rpc)
    try:
        yield m
    finally:
        m.close()


@contextmanager
def witnessed(dn):
    w = Witness(dn.rpc.replace("http://", "ws://"))
    try:
        yield w
    finally:
        w.close()


# ------------------------------------------------------------------------------- priority
UNIT = ROOT / "systemd/arb-appliance.service"
IOPRIO_WHO_PROCESS, IOPRIO_CLASS_SHIFT = 1, 13
IO_CLASSES = {"realtime": 1, "best-effort": 2, "idle": 3}
WITNESS_NICE = -20  # the reference reads its heads at the highest priority: never late itself


# the kernel's sched_prio_to_weight, nice -20..19 (CPUWeight= 100 is nice 0's 1024)
_NICE_WEIGHTS = (
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
    9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
    1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
    110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
)  # fmt: skip


def _nice_of_weight(cpu_weight: int) -> int:
    """The nice value whose scheduler weight is nearest ``cpu_weight`` (100 = nice 0)."""
    want = cpu_weight * 1024 / 100
    return min(range(-20, 20), key=lambda n: abs(_NICE_WEIGHTS[n + 20] - want))


def unit_priority() -> dict[str, str]:
    """Nice=, IOScheduling*=, CPUWeight= of the supervisor's systemd unit."""
    keys = ("Nice", "IOSchedulingClass", "IOSchedulingPriority", "CPUWeight")
    out = {}
    for line in UNIT.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() in keys:
            out[key.strip()] = value.strip()
    return out


def _ioprio_set(tid: int, klass: int, level: int) -> None:
    import ctypes
    import platform

    nr = {"x86_64": 251, "aarch64": 30}[platform.machine()]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(nr, IOPRIO_WHO_PROCESS, tid, (klass << IOPRIO_CLASS_SHIFT) | level) != 0:
        raise OSError(ctypes.get_errno(), "ioprio_set")


@contextmanager
def priority(mode: str):
    """``unit``: every thread of this process (the in-process supervisor; threads started later
    inherit it from their creator) at exactly the unit's Nice=/IOScheduling*=, as systemd starts
    it; restored to normal on exit. ``normal``: nothing changed."""
    if mode != "unit":
        yield "normal priority (nice 0)"
        return
    unit = unit_priority()
    nice = int(unit.get("Nice", "0"))
    klass = IO_CLASSES.get(unit.get("IOSchedulingClass", ""), 0)
    level = int(unit.get("IOSchedulingPriority", "4"))

    weight = int(unit.get("CPUWeight", "100"))
    group_nice = _nice_of_weight(weight)

    def apply(n: int, io: tuple[int, int] | None, group: int) -> None:
        for tid in map(int, os.listdir("/proc/self/task")):
            with suppress(ProcessLookupError):
                os.setpriority(os.PRIO_PROCESS, tid, n)
                if io is not None:
                    _ioprio_set(tid, *io)
        # the kernel weighs a nice value only against tasks of the same autogroup (session) or
        # cgroup; between groups the group's weight decides: systemd's CPUWeight= for the
        # unit's cgroup, the autogroup's nice for this bench's session
        with suppress(OSError):
            Path("/proc/self/autogroup").write_text(str(group))

    apply(nice, (klass, level) if klass else None, group_nice)
    try:
        io_said = (
            f", IOSchedulingClass={unit['IOSchedulingClass']}, IOSchedulingPriority={level}"
            if klass
            else ""
        )
        yield (
            f"the unit's priority (Nice={nice}{io_said}; CPUWeight={weight} as this session's"
            f" autogroup nice {group_nice}, which Anvil, the witness and the miner share)"
        )
    finally:
        apply(0, (IO_CLASSES["best-effort"], 4) if klass else None, 0)


# ------------------------------------------------------------------------------- figures
def pct(values: list[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value with at least q % of them at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ms(values: list[float]) -> str:
    if not values:
        return "p50     n/a  p99     n/a ms"
    return f"p50 {pct(values, 50) * 1000:7.2f}  p99 {pct(values, 99) * 1000:7.2f} ms"


def entry(dn, path: str) -> str:
    ws = dn.rpc.replace("http://", "ws://")
    return f"{dn.rpc}|{ws}" if path == "streaming" else dn.rpc


TABLE: list[str] = []


class GcPauses:
    """The garbage collector's pauses in this process (``gc.callbacks``), per generation."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = defaultdict(list)
        self.spans: list[tuple[float, float]] = []  # (start, end) perf_counter of each pause
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            end = time.perf_counter()
            self.pauses[info["generation"]].append(end - self._start)
            self.spans.append((self._start, end))

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)

    def overlapping(self, windows: list[tuple[float, float]]) -> int:
        """How many of ``windows`` (start, end) a pause overlapped."""
        return sum(1 for a, b in windows if any(s < b and e > a for s, e in self.spans))

    def summary(self) -> str:
        return ", ".join(
            f"gen{g} {len(p)}x max {max(p) * 1000:.1f} ms" for g, p in sorted(self.pauses.items())
        )


SLOW_S = 0.005  # the BlockSeen goal: a slower block is looked at (did a GC pause overlap it?)
PROFILE: list[cProfile.Profile] = []  # --profile: enabled around each measured block of part 2


# ------------------------------------------------------------------------------- part 1
async def chain_latency(dn, path: str, block_time: float, blocks: int) -> dict:
    import trio

    from appliance.chain import open_rpc_pool
    from appliance.chain.service import run_chain
    from appliance.config import ChainConfig
    from appliance.events import BlockSeen, ReservesUpdated

    cfg = ChainConfig(chain_id=dn.chain_id, rpc=(entry(dn, path),), block_time_s=block_time)
    send, recv = trio.open_memory_channel(10_000)
    seen: dict[int, float] = {}
    updated: dict[int, float] = {}
    rtt: list[float] = []
    arrived: dict[int, trio.Event] = {}
    numbers: list[int] = []

    async def receive() -> None:
        async for event in recv:
            now = time.perf_counter()
            if isinstance(event, BlockSeen):
                seen.setdefault(event.number, now)
            elif isinstance(event, ReservesUpdated):
                updated.setdefault(event.block, now)
                arrived.setdefault(event.block, trio.Event()).set()

    from appliance.chain import service

    by_logs = service.fetch_reserves_by_logs
    requested: list[int] = []

    async def counted(rpc, block, *a, **kw):  # a block whose reserves needed eth_getLogs
        requested.append(1)
        return await by_logs(rpc, block, *a, **kw)

    service.fetch_reserves_by_logs = counted
    with witnessed(dn) as witness, mining(dn) as miner, GcPauses() as pauses:
        async with open_rpc_pool(cfg) as rpc, trio.open_nursery() as nursery:
            nursery.start_soon(receive)
            await nursery.start(run_chain, cfg, rpc, dn.pools, send)
            await trio.sleep(max(1.0, 2 * block_time))  # the stream subscribes
            gc.collect()  # as the supervisor does once synced
            gc.freeze()
            pauses.pauses.clear()  # the pauses of the measured blocks only
            pauses.spans.clear()
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
                miner.mine()
                n += 1
                numbers.append(n)
                with trio.move_on_after(5 * block_time + 2):
                    await arrived.setdefault(n, trio.Event()).wait()
            await trio.sleep(max(0.5, block_time))
            nursery.cancel_scope.cancel()
        gc.unfreeze()
        heads = witness.heads()
        rtt.extend(miner.round_trips())
    service.fetch_reserves_by_logs = by_logs
    ref = {b: heads[b][0] for b in numbers if b in heads}
    slow = [(t, seen[b]) for b, t in ref.items() if b in seen and seen[b] - t > SLOW_S]
    return {
        "slow": f"{len(slow)} over {SLOW_S * 1000:g} ms, {pauses.overlapping(slow)} of them in a GC",
        "seen": [seen[b] - t for b, t in ref.items() if b in seen],
        "updated": [updated[b] - t for b, t in ref.items() if b in updated],
        "rtt": rtt,
        "n": len(numbers),
        "witnessed": len(ref),
        "requests": len(requested),
        "gc": pauses.summary(),
    }


def cases() -> list[tuple[str, str]]:
    """(path, priority) measured: both paths at normal priority, streaming at the unit's too."""
    out = [("streaming", "normal"), ("polling", "normal")] if "normal" in PRIORITIES else []
    return out + ([("streaming", "unit")] if "unit" in PRIORITIES else [])


PRIORITIES: list[str] = ["normal", "unit"]


async def part1(dn, block_times: tuple[float, ...], blocks: int) -> None:
    for block_time in block_times:
        for path, prio in cases():
            cpu = time.process_time()
            with priority(prio) as said:
                r = await chain_latency(dn, path, block_time, blocks)
            cpu = time.process_time() - cpu
            line = (
                f"  {len(dn.pools):5d} pools  block {block_time:4.2f} s  {path:9s} {prio:6s}"
                f"  ->BlockSeen {ms(r['seen'])}  ->reserves {ms(r['updated'])}"
                f"  (n={r['n']}, witnessed {r['witnessed']}, eth_getLogs for"
                f" {r['requests']}; Anvil's evm_mine round trip"
                f" p50 {pct(r['rtt'], 50) * 1000:.1f} ms, not counted; GC: {r['gc']};"
                f" BlockSeen {r['slow']};"
                f" {cpu:.1f} CPU-s in this process; {said}; {load_line()})"
            )
            print(line, flush=True)
            case = f"{len(dn.pools):5d}  {block_time:4.2f} s  {path:9s} {prio:6s}"
            TABLE.append(f"  {case}  BlockSeen {ms(r['seen'])}  n={len(r['seen'])}  {load_line()}")
            if path == "streaming":
                GOALS.append(("block -> BlockSeen p99 <= 5 ms", 0.005, case, r["seen"]))


# ------------------------------------------------------------------------------- part 2
STAGES = ("market_in", "detected", "risk_in", "approved", "exec_in", "simulated", "signed")


class TaskSteps:
    """``--steps``: every Trio task step (task name, start, end) while ``on``: what held the
    loop between the block and its signature (a trio.abc.Instrument, this process only)."""

    def __init__(self) -> None:
        self.on = False
        self.steps: list[tuple[str, float, float]] = []
        self._t0 = 0.0
        self._names: dict[int, str] = {}

    def before_task_step(self, task) -> None:
        if self.on:
            self._t0 = time.perf_counter()

    def after_task_step(self, task) -> None:
        if self.on and self._t0:
            self.steps.append((self._name(task), self._t0, time.perf_counter()))
            self._t0 = 0.0

    def _name(self, task) -> str:
        """The task's name, with what a generic wrapper runs (the RPC label, the subsystem)."""
        name = self._names.get(id(task))
        if name is None:
            name = task.name.rsplit(".", 1)[-1]
            frame = getattr(task.coro, "cr_frame", None)
            local = frame.f_locals if frame is not None else {}
            if "label" in local:
                name += f"[{local['label']}]"
            elif "fn" in local:
                fn = local["fn"]
                name += f"[{getattr(getattr(fn, 'func', fn), '__name__', fn)}]"
            self._names[id(task)] = name
        return name

    def report(self, windows: dict[int, tuple[float, float]], slowest: int = 6) -> list[str]:
        """Loop time per task inside the windows (witness -> signed), in all and for the
        slowest windows."""

        def short(name: str) -> str:
            return name[:40]

        def busy(a: float, b: float) -> dict[str, float]:
            out: dict[str, float] = defaultdict(float)
            for name, s, e in self.steps:
                if e > a and s < b:
                    out[short(name)] += min(e, b) - max(s, a)
            return out

        total: dict[str, float] = defaultdict(float)
        for a, b in windows.values():
            for name, t in busy(a, b).items():
                total[name] += t
        n = max(1, len(windows))
        lines = ["      loop time per window by task (mean ms, witness -> signed):"]
        for name, t in sorted(total.items(), key=lambda x: -x[1])[:12]:
            lines.append(f"        {name:40s} {t / n * 1000:6.2f}")
        for block, (a, b) in sorted(windows.items(), key=lambda x: x[1][0] - x[1][1])[:slowest]:
            parts = sorted(busy(a, b).items(), key=lambda x: -x[1])[:6]
            spent = sum(t for _n, t in busy(a, b).items())
            lines.append(
                f"      block {block}: {(b - a) * 1000:.1f} ms, loop busy {spent * 1000:.1f}: "
                + ", ".join(f"{k} {v * 1000:.1f}" for k, v in parts)
            )
        return lines


STEPS: list[TaskSteps] = []  # --steps


@contextmanager
def instrumented():
    """perf_counter marks per candidate block, taken by wrapping production methods."""
    from appliance.execution.pipeline import Pipeline
    from appliance.risk.engine import RiskEngine
    from appliance.strategy.detector import Detector

    marks: dict[int, dict[str, float]] = defaultdict(dict)
    current: dict[str, int] = {}
    saved = {
        (Pipeline, "finish"): Pipeline.finish,
        (Pipeline, "send"): Pipeline.send,
        (Detector, "on_reserves"): Detector.on_reserves,
        (Pipeline, "handle"): Pipeline.handle,
        (Pipeline, "simulate_at_head"): Pipeline.simulate_at_head,
        (Pipeline, "sign"): Pipeline.sign,
    }
    on_reserves, handle = Detector.on_reserves, Pipeline.handle
    simulate, sign = Pipeline.simulate_at_head, Pipeline.sign

    def w_on_reserves(self, event, *a, **kw):
        marks[event.block].setdefault("market_in", time.perf_counter())
        out = on_reserves(self, event, *a, **kw)
        marks[event.block].setdefault("detected", time.perf_counter())
        return out

    async def w_handle(self, order, **kw):
        current["block"] = order.candidate.block
        marks[order.candidate.block].setdefault("exec_in", time.perf_counter())
        return await handle(self, order, **kw)

    async def w_simulate(self, *a, **kw):
        out = await simulate(self, *a, **kw)
        marks[current["block"]].setdefault("simulated", time.perf_counter())
        return out

    def w_sign(self, *a, **kw):
        out = sign(self, *a, **kw)
        marks[current["block"]].setdefault("signed", time.perf_counter())
        if (event := WAITING.get(("signed", current["block"]))) is not None:
            event.set()
        return out

    send = Pipeline.send

    async def w_send(self, raw, *a, **kw):
        await send(self, raw, *a, **kw)
        if (event := WAITING.get(("sent", None))) is not None:
            event.set()

    finish = Pipeline.finish

    async def w_finish(self, update, *a, **kw):  # a final status: the trade has settled
        await finish(self, update, *a, **kw)
        if (event := WAITING.get(("settled", None))) is not None:
            event.set()

    from appliance.strategy import task as market_task

    probe = market_task.probe_token
    marks[-1]["probe"] = time.monotonic()

    async def w_probe(*a, **kw):  # the hostile-token probes of a fresh start: waited out
        marks[-1]["probe"] = time.monotonic()
        try:
            return await probe(*a, **kw)
        finally:
            marks[-1]["probe"] = time.monotonic()

    saved[(market_task, "probe_token")] = probe
    market_task.probe_token = w_probe
    on_candidates = RiskEngine.on_candidates

    def w_on_candidates(self, found, *a, **kw):
        marks[found.block].setdefault("risk_in", time.perf_counter())
        out = on_candidates(self, found, *a, **kw)
        marks[found.block].setdefault("approved", time.perf_counter())
        return out

    saved[(RiskEngine, "on_candidates")] = on_candidates
    RiskEngine.on_candidates = w_on_candidates
    Detector.on_reserves = w_on_reserves
    Pipeline.handle = w_handle
    Pipeline.simulate_at_head, Pipeline.sign = w_simulate, w_sign
    Pipeline.finish, Pipeline.send = w_finish, w_send
    try:
        yield marks
    finally:
        for (cls, name), fn in saved.items():
            setattr(cls, name, fn)


WAITING: dict[tuple[str, int | None], object] = {}  # trio.Events the harness waits on
SIGN_WAIT_S = 2.0  # a dislocation not signed by then counts as not signed
SETTLE_WAIT_S = 5.0


def dislocations_max(target: int) -> int:
    """At most this many dislocations for ``target`` signed orders (some may be refused)."""
    return target + target // 2 + 5


async def signed_latency(dn, path: str, target: int, tmp: Path) -> dict:
    import trio
    from sup_helpers import appliance_config

    from appliance.config import load_config
    from appliance.store.schema import JOURNAL_NAME
    from appliance.supervisor import run_supervisor

    cfg_path = await appliance_config(dn, tmp, live=True)
    text = cfg_path.read_text()
    if path == "polling":
        text = text.replace(entry(dn, "streaming"), dn.rpc)
    cfg_path.write_text(text.replace("block_time_s = 0.5", "block_time_s = 2"))
    cfg = load_config(cfg_path)
    dislocated: list[int] = []
    with (
        witnessed(dn) as witness,
        mining(dn) as miner,
        instrumented() as marks,
        GcPauses() as pauses,
    ):
        async with trio.open_nursery() as nursery:
            sup = await nursery.start(run_supervisor, cfg)
            with trio.fail_after(120):
                await sup.ready.wait()
            await trio.sleep(3)
            # a fresh start probes every new token (one eth_call each, hundreds at 500 pools):
            # measured blocks come after that, when the appliance is in its steady state
            while time.monotonic() - marks[-1]["probe"] < 2.0:
                await trio.sleep(0.5)
            pauses.pauses.clear()  # the pauses of the measured blocks only
            pauses.spans.clear()
            async with dn.client() as client:
                await client.call("evm_setAutomine", [False])  # the dislocation waits for our mine
                number = int(await client.call("eth_blockNumber"), 16)
            signed_blocks = 0
            for i in range(dislocations_max(target)):
                if signed_blocks >= target:
                    break
                # 40 WETH, as the supervisor tests do, then about as much USDC back: the price
                # swings around its start however many dislocations are made
                dex = dn.dexes[(i // 2) % len(dn.dexes)].name
                pair, amount = ("WETH", "USDC"), 40 * 10**18
                if i % 2:
                    pair, amount = ("USDC", "WETH"), 120_000 * 10**6
                # the harness's own work (a swap opens a client: ~75 ms of CPU on this loop for
                # its TLS context) is done before the block, never while it is measured
                await dn.swap(dex, *pair, amount, mine=False, account="simulator")
                await trio.sleep(0.25)
                number += 1
                signed = WAITING[("signed", number)] = trio.Event()
                settled = WAITING[("settled", None)] = trio.Event()
                sent = WAITING[("sent", None)] = trio.Event()
                if PROFILE:  # only the measured windows: block -> signed
                    PROFILE[0].enable()
                if STEPS:
                    STEPS[0].on = True
                miner.mine()
                dislocated.append(number)
                with trio.move_on_after(SIGN_WAIT_S):
                    await signed.wait()
                if PROFILE:
                    PROFILE[0].disable()
                if STEPS:
                    STEPS[0].on = False
                del WAITING[("signed", number)]
                if not signed.is_set():
                    continue  # nothing signed (the journal and log say why): no trade to land
                signed_blocks += 1
                with trio.move_on_after(SIGN_WAIT_S):
                    await sent.wait()  # the arbitrage is in Anvil's pool
                WAITING.pop(("sent", None), None)
                miner.mine()  # the arbitrage lands
                number += 1
                with trio.move_on_after(SETTLE_WAIT_S):
                    await settled.wait()  # its receipt is tracked: max_pending_trades frees up
                WAITING.pop(("settled", None), None)
                await trio.sleep(0.05)
            nursery.cancel_scope.cancel()
        heads = witness.heads()
    db = sqlite3.connect(cfg.storage.data_dir / JOURNAL_NAME)
    rows = db.execute(
        "SELECT o.block, t.created_at FROM trades t JOIN opportunities o"
        " ON o.id = t.opportunity_id ORDER BY t.created_at"
    ).fetchall()
    journaled: dict[int, float] = {}
    for block, created in rows:
        journaled.setdefault(block, created)
    marks.pop(-1, None)
    signed = {b: marks[b] for b in dislocated if "signed" in marks[b] and b in heads}
    unsigned = [b for b in dislocated if b not in signed]
    why: dict[str, int] = defaultdict(int)  # the journal's word on each dislocation not signed
    for b in unsigned:
        found = db.execute(
            "SELECT decision, reason FROM opportunities WHERE block = ? ORDER BY id LIMIT 1", (b,)
        ).fetchone()
        why[f"{found[0]}: {found[1][:60]}" if found else "no opportunity journaled"] += 1
    stages = {s: [m[s] - heads[b][0] for b, m in signed.items() if s in m] for s in STAGES}
    windows = {b: (heads[b][0], m["signed"]) for b, m in signed.items()}
    return {
        "steps": STEPS[0].report(windows) if STEPS else [],
        "signed": stages["signed"],
        "journaled": [t - heads[b][1] for b, t in journaled.items() if b in heads],
        "stages": stages,
        "n": len(dislocated),
        "gc": f"{pauses.summary()}; {pauses.overlapping(list(windows.values()))} of"
        f" {len(windows)} windows (block -> signed) overlapped a pause",
        "why": ", ".join(f"{n}x {reason}" for reason, n in why.items()) or "-",
    }


async def part2(dn, target: int) -> None:
    for path, prio in cases():
        cpu = time.process_time()
        with tempfile.TemporaryDirectory(prefix="arb-bench-stream-") as tmp, priority(prio) as said:
            r = await signed_latency(dn, path, target, Path(tmp))
        cpu = time.process_time() - cpu
        if path == "streaming" and PROFILE:
            PROFILE.clear()  # the profile is of the first streaming run
        print(
            f"  {len(dn.pools):5d} pools  block 2.00 s  {path:9s} {prio:6s}"
            f"  ->signed {ms(r['signed'])}"
            f"  ->journaled {ms(r['journaled'])}  ({len(r['signed'])} signed of"
            f" {r['n']} dislocations (not signed: {r['why']}); GC: {r['gc']}; {cpu:.1f} CPU-s in this process; {said};"
            f" {load_line()})",
            flush=True,
        )
        for stage in STAGES:
            print(f"      {stage:10s} {ms(r['stages'][stage])}  (witness -> end of stage)")
        print("\n".join(r["steps"]))
        case = f"{len(dn.pools):5d}  2.00 s  {path:9s} {prio:6s}"
        TABLE.append(f"  {case}  signed    {ms(r['signed'])}  n={len(r['signed'])}  {load_line()}")
        if path == "streaming" and len(dn.pools) <= 500:
            GOALS.append(("block -> signed p99 <= 20 ms at 500 pools", 0.020, case, r["signed"]))


# ------------------------------------------------------------------------------- part 3
async def part3(dn, minutes: float, tmp: Path) -> None:
    import trio
    from sup_helpers import appliance_config

    from appliance.chain import open_rpc_pool
    from appliance.config import load_config
    from appliance.store.recorder import Recorder
    from appliance.store.schema import JOURNAL_NAME
    from appliance.supervisor import run_supervisor

    cfg_path = await appliance_config(dn, tmp, live=True)
    cfg_path.write_text(cfg_path.read_text().replace("block_time_s = 0.5", "block_time_s = 0.25"))
    cfg = load_config(cfg_path)
    received: list[int] = []
    on_block = Recorder._on_BlockSeen

    def counting(self, b, now):
        received.append(b.number)
        on_block(self, b, now)

    Recorder._on_BlockSeen = counting
    try:
        async with trio.open_nursery() as nursery:
            sup = await nursery.start(run_supervisor, cfg)
            with trio.fail_after(120):
                await sup.ready.wait()
            await trio.sleep(2)
            first = await dn.block_number()
            deadline = time.monotonic() + minutes * 60
            async with dn.client() as client:
                i = 0
                next_at = trio.current_time()
                while time.monotonic() < deadline:
                    i += 1
                    if i % 4 == 1:
                        pool = dn.pools[i % len(dn.pools)]
                        await dn.swap(pool.dex, pool.token0, pool.token1, 10**12, mine=False)
                    next_at += 0.25
                    await trio.sleep_until(next_at)
                    await client.call("evm_mine")
            last = await dn.block_number()
            await trio.sleep(3.0)
            nursery.cancel_scope.cancel()
    finally:
        Recorder._on_BlockSeen = on_block
    db = sqlite3.connect(cfg.storage.data_dir / JOURNAL_NAME)
    journal = dict(
        db.execute(
            "SELECT number, hash FROM blocks WHERE number > ? AND number <= ?", (first, last)
        )
    )
    chain_cfg = cfg.chain
    async with open_rpc_pool(chain_cfg) as rpc:
        chain: dict[int, str] = {}
        numbers = list(range(first + 1, last + 1))
        for start in range(0, len(numbers), 100):
            for block in await rpc.get_blocks(numbers[start : start + 100]):
                chain[block.number] = block.hash
    got = [n for n in received if first < n <= last]
    missed = [n for n in numbers if n not in set(got)]
    dup = len(got) - len(set(got))
    wrong = [n for n in numbers if n in journal and journal[n] != chain[n]]
    order = sum(1 for a, b in itertools.pairwise(got) if b != a + 1)
    line = (
        f"  {minutes:g} min at 0.25 s blocks, supervisor live, journal on, streaming:"
        f" {len(numbers)} blocks mined, {len(set(got))} seen, missed {len(missed)}, duplicated"
        f" {dup}, out of order {order}; journal: {len(journal)} rows, {len(wrong)} wrong hashes"
        f", {len(numbers) - len(journal)} missing"
    )
    print(line, flush=True)
    TABLE.append(line)


MIN_SAMPLES = 100  # fewer cannot tell a p99 from the maximum
GOALS: list[tuple[str, float, str, list[float]]] = []  # (goal, limit s, case, samples)


def verdicts() -> list[str]:
    """One line per measured case of each goal, then one MET / NOT MET line per goal."""
    lines: list[str] = []
    for goal in dict.fromkeys(g for g, *_ in GOALS):
        results = []
        for _g, limit, case, values in (x for x in GOALS if x[0] == goal):
            p99 = pct(values, 99) if values else float("inf")
            ok = "met" if p99 <= limit else "NOT met"
            if len(values) < MIN_SAMPLES:
                ok = f"undecided: n={len(values)} < {MIN_SAMPLES}"
            results.append(ok)
            lines.append(f"    {case}  p99 {p99 * 1000:7.2f} ms  n={len(values):4d}  {ok}")
        if all(r == "met" for r in results):
            verdict = "MET"
        elif any(r == "NOT met" for r in results):
            verdict = "NOT MET"
        else:
            verdict = "UNDECIDED (too few samples)"
        lines.append(f"  GOAL {goal}: {verdict} ({results.count('met')} of {len(results)} cases)")
    return lines


def _qemu_running() -> bool:
    """Whether an image build (qemu-system or qemu-user processes) loads the box."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with suppress(OSError):
            if "qemu" in Path(f"/proc/{pid}/cmdline").read_bytes()[:200].decode(errors="replace"):
                return True
    return False


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    qemu = ", qemu running" if _qemu_running() else ""
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores{qemu}"


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--witness":
        witness_main(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--miner":
        miner_main(sys.argv[2], sys.argv[3])
        return
    import trio

    from appliance.devnet import start_devnet

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--pools", type=int, nargs="*", default=None)
    ap.add_argument("--blocks", type=int, default=None, help="blocks per case of part 1")
    ap.add_argument(
        "--signed", type=int, default=None, help=f"signed orders per case of part 2 ({MIN_SAMPLES})"
    )
    ap.add_argument("--parts", default="123")
    ap.add_argument("--block-times", type=float, nargs="*", default=[2.0, 0.25])
    ap.add_argument("--profile", action="store_true", help="cProfile part 2, print the top")
    ap.add_argument("--steps", action="store_true", help="part 2: loop time by task per window")
    ap.add_argument(
        "--priority",
        choices=("normal", "unit", "both"),
        default="both",
        help="run the appliance at normal priority, at the systemd unit's (Nice=...), or both",
    )
    args = ap.parse_args()
    PRIORITIES[:] = ["normal", "unit"] if args.priority == "both" else [args.priority]
    if "unit" in PRIORITIES and os.getsid(0) != os.getpid():
        # a session of our own: its autogroup holds only this bench and what it starts
        os.execvp("setsid", ["setsid", "--wait", sys.executable, *sys.argv])
    pools = args.pools or ([500] if args.quick else [500, 2000])
    blocks = args.blocks or (15 if args.quick else MIN_SAMPLES + 10)
    signed = args.signed or (15 if args.quick else MIN_SAMPLES)
    minutes = float(os.environ.get("BENCH_MINUTES", 1 if args.quick else 10))
    print("streaming vs polling (issue #15); goals: BlockSeen p99 <= 5 ms, signed p99 <= 20 ms")
    print(
        "reference: a separate witness process subscribed to the same Anvil's newHeads,"
        f" at nice {WITNESS_NICE}"
    )
    print(
        f"priority: {' and '.join(PRIORITIES)}; the unit's is {unit_priority() or 'none'}"
        f" ({UNIT.relative_to(ROOT)}), applied to every thread of this process as systemd does"
    )
    print(f"start: {load_line()}", flush=True)
    for n in pools:
        t0 = time.perf_counter()
        with start_devnet(seed=1, n_pools_extra=max(0, n - 24)) as dn:
            print(f"devnet with {len(dn.pools)} pools in {time.perf_counter() - t0:.0f} s")
            if "1" in args.parts:
                trio.run(part1, dn, tuple(args.block_times), blocks)
            if "2" in args.parts and n == pools[0]:
                profiler = cProfile.Profile() if args.profile else None
                if profiler:
                    PROFILE.append(profiler)
                if args.steps:
                    STEPS.append(TaskSteps())
                trio.run(part2, dn, signed, instruments=STEPS)
                if profiler:
                    text = io.StringIO()
                    stats = pstats.Stats(profiler, stream=text)
                    stats.sort_stats("tottime").print_stats(25)
                    stats.sort_stats("cumulative").print_stats(r"appliance/", 40)
                    print(text.getvalue())
            if "3" in args.parts and n == pools[0]:
                with tempfile.TemporaryDirectory(prefix="arb-bench-stream-") as tmp:
                    trio.run(part3, dn, minutes, Path(tmp))
    print(f"end: {load_line()}")
    print("summary (pools, block time, path, figure from the witness):")
    print("\n".join(TABLE))
    print(f"goals (p99 of n samples; n < {MIN_SAMPLES} cannot decide a p99):")
    print("\n".join(verdicts()))


if __name__ == "__main__":
    main()
