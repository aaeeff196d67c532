"""Kill test: a writer process SIGKILLed at random moments never loses what it reported committed.

Each run forks a writer that drives the real store task through a synthetic 5,000-block run
(50 pools, 20 changed reserves per block, candidates and orders, a written-ahead trade every 25
blocks, EMERGENCY at a random early block). After each durable commit the child writes a line to a
pipe: ``T <order_id>`` once its trade row is committed, ``M`` once the EMERGENCY row is. The parent
kills it (SIGKILL) at a random moment, then checks the journal, restarts a writer that replays the
last blocks (as a head follower does after a crash) and checks again: integrity ok, every reported
trade present, no duplicate rows, the EMERGENCY row persisted.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest
import trio

from appliance.config import StorageConfig
from appliance.events import (
    BlockSeen,
    Candidate,
    CandidatesFound,
    Leg,
    ModeChanged,
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
from appliance.store.writer import Flush, WriteAhead, run_store

RUNS = int(os.environ.get("STORE_KILL_RUNS", "100"))
BLOCKS = 5_000
POOLS = 50
TRADE_EVERY = 25
REPLAY = 30  # blocks the restarted writer replays below the journal's head
KILL_WINDOW_S = (0.0, 0.35)  # random kill moment after the fork

WETH, USDC = "0x" + "11" * 20, "0x" + "22" * 20


def _pool(i: int) -> str:
    return f"0x{0x1000 + i:040x}"


def _block(n: int) -> BlockSeen:
    return BlockSeen(n, f"0x{n:064x}", f"0x{n - 1:064x}", 1_700_000_000 + 2 * n, 10**9)


def _reserves(n: int) -> dict[str, tuple[int, int]]:
    rng = random.Random(n)
    return {
        _pool(i): (10**21 + n * 7 + i, 3 * 10**12 + n * 11 + i)
        for i in rng.sample(range(POOLS), 20)
    }


def _candidate(n: int, amount_in: int = 10**18) -> Candidate:
    legs = (Leg(_pool(n % POOLS), WETH, USDC, 30), Leg(_pool((n + 1) % POOLS), USDC, WETH, 30))
    return Candidate(n, legs, WETH, amount_in, amount_in + 10**15, 120_000, 10**14)


async def _drive(
    cfg: StorageConfig, first: int, last: int, emergency_at: int | None, out: int
) -> None:
    send, recv = trio.open_memory_channel(64)
    async with trio.open_nursery() as nursery:
        await nursery.start(run_store, cfg, recv)
        async with send:
            tokens = (TokenInfo(WETH, "WETH", 18), TokenInfo(USDC, "USDC", 6))
            pools = tuple(PoolInfo(_pool(i), "uni", WETH, USDC, 30) for i in range(POOLS))
            await send.send(PoolsDiscovered(tokens, pools))
            for n in range(first, last + 1):
                await send.send(_block(n))
                await send.send(ReservesUpdated(n, f"0x{n:064x}", _reserves(n)))
                good, bad = _candidate(n), _candidate(n, 10**17)
                await send.send(CandidatesFound(n, (good, bad), 0.0))
                await send.send(OrderRejected(bad, "min_profit"))
                if n == emergency_at:
                    await send.send(
                        ModeChanged(time.time(), Mode.NORMAL, Mode.EMERGENCY, "test", "kill_switch")
                    )
                    request = Flush()
                    await send.send(request)
                    await request.wait()
                    os.write(out, b"M\n")
                if n % TRADE_EVERY == 0:
                    order = f"order-{n}"
                    await send.send(OrderApproved(good, Mode.NORMAL, order))
                    trade = TradeUpdated(
                        order,
                        TradeStatus.SIGNED,
                        Mode.NORMAL,
                        tx_hash=f"0x{n:064x}",
                        nonce=n // TRADE_EVERY,
                        amount_in=good.amount_in,
                        expected_profit=good.net_profit,
                        block_sent=n,
                    )
                    request = WriteAhead(trade)
                    await send.send(request)
                    await request.wait()
                    os.write(out, f"T {order}\n".encode())
                if n % TRADE_EVERY == 2 and n > 2:
                    await send.send(
                        TradeUpdated(
                            f"order-{n - 2}",
                            TradeStatus.MINED,
                            Mode.NORMAL,
                            realized_profit=10**15,
                            gas_used=100_000,
                            gas_cost=10**14,
                            block_mined=n,
                        )
                    )


def _fork(cfg: StorageConfig, first: int, last: int, emergency_at: int | None) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        code = 1
        try:
            os.close(read)
            trio.run(_drive, cfg, first, last, emergency_at, write)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _read_all(fd: int) -> list[str]:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode().split()


def _reported(tokens: list[str]) -> tuple[set[str], bool]:
    trades = {tokens[i + 1] for i, t in enumerate(tokens) if t == "T" and i + 1 < len(tokens)}
    return trades, "M" in tokens


def _check(journal: Journal, trades: set[str], emergency: bool) -> None:
    q = journal.conn.execute
    assert journal.integrity_check() == "ok"
    present = {row[0] for row in q("SELECT order_id FROM trades")}
    assert trades <= present, f"committed trades lost: {sorted(trades - present)[:5]}"
    assert (
        q(
            "SELECT count(*) FROM (SELECT 1 FROM reserves GROUP BY block, pool_id HAVING count(*) > 1)"
        ).fetchone()[0]
        == 0
    )
    assert (
        q(
            "SELECT count(*) FROM (SELECT 1 FROM trades GROUP BY tx_hash HAVING count(*) > 1)"
        ).fetchone()[0]
        == 0
    )
    assert (
        q(
            "SELECT count(*) FROM (SELECT 1 FROM opportunities GROUP BY block, path, amount_in HAVING count(*) > 1)"
        ).fetchone()[0]
        == 0
    )
    emergencies = q("SELECT count(*) FROM mode_changes WHERE new = 'EMERGENCY'").fetchone()[0]
    assert emergencies <= 1
    if emergency:
        assert emergencies == 1 and journal.last_mode() is Mode.EMERGENCY


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_reported(tmp_path):
    rng = random.Random(0xA4B)
    started = time.monotonic()
    killed_mid_run = 0
    heads: list[int] = []
    for run in range(RUNS):
        base = tmp_path / f"run{run}"
        cfg = StorageConfig(
            data_dir=base / "data", runtime_dir=base / "run", commit_interval_s=0.01
        )
        emergency_at = rng.randint(1, 40)
        pid, fd = _fork(cfg, 1, BLOCKS, emergency_at)
        time.sleep(rng.uniform(*KILL_WINDOW_S))
        os.kill(pid, signal.SIGKILL)
        _pid, status = os.waitpid(pid, 0)
        killed_mid_run += os.WIFSIGNALED(status)
        trades, emergency = _reported(_read_all(fd))
        with Journal(cfg.data_dir / "journal.sqlite") as journal:
            _check(journal, trades, emergency)
            head = journal.last_block() or 0
            heads.append(head)
            latched = journal.last_mode() is Mode.EMERGENCY
        # restart: replay the last blocks, as a head follower does after a crash, then stop cleanly
        first = max(1, head - REPLAY)
        again = None if latched else emergency_at  # as the supervisor: never a second EMERGENCY
        pid, fd = _fork(cfg, first, first + 2 * REPLAY, again)
        _pid, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"run {run}: restart failed"
        more, emergency_again = _reported(_read_all(fd))
        with Journal(cfg.data_dir / "journal.sqlite") as journal:
            _check(journal, trades | more, emergency or emergency_again)
            assert journal.last_block() >= head
    print(
        f"{RUNS} kill runs ({killed_mid_run} killed mid-run, journal head at the kill: "
        f"{min(heads)}..{max(heads)} of {BLOCKS}) in {time.monotonic() - started:.1f} s"
    )
    assert killed_mid_run >= RUNS * 0.9  # the kills really landed while the writer was working
