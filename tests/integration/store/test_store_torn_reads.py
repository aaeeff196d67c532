"""Torn reads: a reader hammering the state file while a writer process updates it at 10 kHz.

The writer publishes snapshots whose fields are all derived from one counter ``i`` (head block,
counters, P&L, and 2,000 prices ``i + k / 4096``). The reader (this process) accepts a snapshot
only through the seqlock, then checks the CRC-32 inside it and the relations between the fields:
a single accepted-but-inconsistent snapshot fails the test.
"""

from __future__ import annotations

import os
import signal
import time
from array import array

import numpy as np
import pytest

from appliance.store.statefile import LiveState, StateReader, StateSnapshot, StateWriter

DURATION_S = 10.0
RATE_HZ = 10_000
PRICES = 2_000


def _writer(path, ready: int) -> None:
    writer = StateWriter(path, capacity=PRICES)
    offsets = np.arange(PRICES, dtype=np.float64) / 4096
    live = LiveState()
    period = 1.0 / RATE_HZ
    next_at = time.perf_counter()
    give_up = time.monotonic() + DURATION_S + 60  # never outlive a parent that died
    parent = os.getppid()
    i = 0
    while True:
        i += 1
        if i % 1024 == 0 and (os.getppid() != parent or time.monotonic() > give_up):
            return
        live.head_block = i
        live.opportunities = i
        live.pnl_today = -i * 10**20
        live.breakers = {"trade": ("closed", "open")[i % 2]}
        del writer.prices[:]
        writer.prices.frombytes((offsets + i).tobytes())
        writer.publish(live, now=float(i))
        if i == 1:
            os.write(ready, b"r")  # the file holds a published snapshot from here on
        next_at += period
        while time.perf_counter() < next_at:
            pass


def _consistent(snap: StateSnapshot, full: bool) -> bool:
    i = snap.head_block
    ok = (
        snap.opportunities == i
        and snap.pnl_today == -i * 10**20
        and snap.updated_at == float(i)
        and snap.breakers == {"trade": ("closed", "open")[i % 2]}
        and len(snap.prices) == PRICES
        and snap.prices[0] == i
        and snap.prices[-1] == i + (PRICES - 1) / 4096
    )
    if ok and full:
        ok = all(p == i + k / 4096 for k, p in enumerate(snap.prices))
    return ok


@pytest.mark.slow
def test_no_torn_snapshot_is_ever_accepted(tmp_path):
    path = tmp_path / "state.bin"
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ready_r)
            _writer(path, ready_w)
        finally:
            os._exit(1)
    os.close(ready_w)
    try:
        assert os.read(ready_r, 1) == b"r"
        reader = StateReader(path)
        accepted = retried = inconsistent = 0
        seen: set[int] = set()
        deadline = time.monotonic() + DURATION_S
        while time.monotonic() < deadline:
            seq, payload, prices, crc_ok = reader.read_unchecked(prices=True)
            if seq is None:
                retried += 1  # odd or changed counter: the seqlock said "try again"
                continue
            accepted += 1
            arr = array("d")
            arr.frombytes(prices)
            snap = StateSnapshot.decode(seq, payload, arr)
            if not crc_ok or not _consistent(snap, full=accepted % 64 == 0):
                inconsistent += 1
            seen.add(snap.head_block)
        first, last = min(seen), max(seen)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(ready_r)
    rate = (last - first) / DURATION_S
    print(
        f"torn reads: {accepted} snapshots accepted, {retried} retried by the seqlock, "
        f"{inconsistent} inconsistent; writer at {rate:,.0f} updates/s over {DURATION_S} s"
    )
    assert inconsistent == 0
    assert accepted > 1000 and len(seen) > 1000  # the reader really raced a moving writer
