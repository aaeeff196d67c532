"""The data directory fills up while the store task runs (a real 2 MiB tmpfs, filled for real).

Before: the first commit that hit ``SQLITE_FULL`` raised out of the store task, which is not
restartable, so the supervisor died with a traceback. Now: the store keeps running, every
write-ahead is refused with the cause (so the executor signs and sends nothing), the rows already
received are held and committed once there is room again, and the fault is announced once
(``FaultChanged`` for the red LED and the supervisor's PAUSED hold, ``AlertRaised`` for the screen
and webhooks) and cleared once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parent))
from full_disk import fill, small_tmpfs

from appliance.config import StorageConfig
from appliance.events import (
    AlertRaised,
    BlockSeen,
    FaultChanged,
    PoolInfo,
    PoolsDiscovered,
    Priority,
    ReservesUpdated,
    TokenInfo,
    TradeStatus,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.store.errors import WriteAheadFailed
from appliance.store.journal import Journal
from appliance.store.statefile import StateReader
from appliance.store.writer import STORAGE_FAULT, Flush, WriteAhead, run_store

WETH, USDC = "0x" + "11" * 20, "0x" + "22" * 20
POOLS = 200


def pool(i: int) -> str:
    return f"0x{0x1000 + i:040x}"


def block(n: int) -> BlockSeen:
    return BlockSeen(n, f"0x{n:064x}", f"0x{n - 1:064x}", 1_700_000_000 + 2 * n, 10**9)


def reserves(n: int) -> ReservesUpdated:
    return ReservesUpdated(
        n,
        f"0x{n:064x}",
        {pool(i): (10**24 + n * 1_000 + i, 10**15 + n * 7 + i) for i in range(POOLS)},
    )


@pytest.fixture
def small_data_dir(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "data", "2m") as where:
        yield where


def trade(order_id: str) -> TradeUpdated:
    return TradeUpdated(
        order_id,
        TradeStatus.SIGNED,
        Mode.NORMAL,
        tx_hash="0x" + "ab" * 32,
        nonce=7,
        amount_in=10**18,
        expected_profit=10**15,
    )


def test_full_data_dir_mid_run_pauses_refuses_write_ahead_and_recovers(
    small_data_dir: Path, tmp_path: Path
) -> None:
    cfg = StorageConfig(
        data_dir=small_data_dir, runtime_dir=tmp_path / "run", commit_interval_s=0.0
    )
    filler = small_data_dir / "filler"
    seen: list[object] = []

    async def main() -> None:
        send, recv = trio.open_memory_channel(1024)
        ev_send, ev_recv = trio.open_memory_channel(64)
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(partial(run_store, cfg, recv, events_send=ev_send))
            tokens = (TokenInfo(WETH, "WETH", 18), TokenInfo(USDC, "USDC", 6))
            pools = tuple(PoolInfo(pool(i), "uni", WETH, USDC, 30) for i in range(POOLS))
            await send.send(PoolsDiscovered(tokens, pools))
            for n in range(1, 4):
                await send.send(block(n))
                await send.send(reserves(n))
            flush = Flush()
            await send.send(flush)
            await flush.wait()

            fill(filler)  # the card is full
            for n in range(4, 40):
                await send.send(block(n))
                await send.send(reserves(n))
            refused = WriteAhead(trade("refused-1"))
            await send.send(refused)
            with pytest.raises(WriteAheadFailed, match="data_dir is full"):
                await refused.wait()
            fault = await ev_recv.receive()
            alert = await ev_recv.receive()
            seen.extend([fault, alert])
            assert fault == FaultChanged(STORAGE_FAULT, True, fault.detail)
            assert "full" in fault.detail
            assert isinstance(alert, AlertRaised) and alert.priority == Priority.CRITICAL
            await send.send(alert)  # the bus hands the alert back to the store: the screen shows it
            again = WriteAhead(trade("refused-2"))  # still full: refused at once, no second fault
            await send.send(again)
            with pytest.raises(WriteAheadFailed):
                await again.wait()
            with StateReader(handle.state_path) as reader:  # the next heartbeat republishes it
                with trio.fail_after(30):
                    while "data_dir is full" not in reader.snapshot(prices=False).last_alert:
                        await trio.sleep(0.1)

            filler.unlink()  # room again
            await send.send(block(40))
            flush = Flush()
            await send.send(flush)
            await flush.wait()
            cleared = await ev_recv.receive()
            assert cleared.name == STORAGE_FAULT and cleared.active is False
            ok = WriteAhead(trade("accepted"))
            await send.send(ok)
            await ok.wait()
            assert ev_recv.statistics().current_buffer_used == 1  # the clearing alert only
            await send.aclose()

    trio.run(main)
    with Journal(small_data_dir / "journal.sqlite") as j:
        assert j.integrity_check() == "ok"
        assert j.last_block() == 40
        blocks = {n for (n,) in j.conn.execute("SELECT number FROM blocks")}
        assert blocks == set(range(1, 41))  # rows received while full were held, then written
        assert j.trade("refused-1") is None and j.trade("refused-2") is None
        assert j.trade("accepted") is not None
