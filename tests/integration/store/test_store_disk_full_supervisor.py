"""The data directory fills up under the whole supervisor (real Anvil, real tmpfs, MockFactory).

Across the seams: the store's fault reaches the hw task (red LED blinking) and the screen (the
state file's last alert names the cause); the supervisor does not die; once space is freed the
fault clears and the blocks mined meanwhile are in the journal (held, then written). Before,
the first failed commit raised out of the store task and took the supervisor down.

The risk state's save meets ENOSPC too: it is logged once and retried, never a crash of the
risk task; trading is held PAUSED by the storage fault and resumes when it clears.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pytest
import trio
from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).parents[1] / "supervisor"))
sys.path.insert(0, str(Path(__file__).parent))

from full_disk import fill, small_tmpfs
from sup_helpers import appliance_config

from appliance.config import load_config
from appliance.modes import Mode
from appliance.store.statefile import StateReader
from appliance.supervisor import run_supervisor

pytestmark = pytest.mark.devnet


async def _until(predicate, *, timeout: float = 60.0) -> None:
    with trio.fail_after(timeout):
        while not predicate():
            await trio.sleep(0.1)


def _journal_blocks(data: Path, above: int) -> set[int]:
    db = sqlite3.connect(f"file:{data / 'journal.sqlite'}?mode=ro", uri=True)
    try:
        return {n for (n,) in db.execute("SELECT number FROM blocks WHERE number > ?", (above,))}
    finally:
        db.close()


def _alerted(data: Path, needle: str) -> bool:
    """An alert naming ``needle`` is in the journal (the state file shows only the latest one,
    and the fault's own mapped alerts follow the store's)."""
    db = sqlite3.connect(f"file:{data / 'journal.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT 1 FROM alerts WHERE text LIKE ?", (f"%{needle}%",)).fetchone()
    except sqlite3.OperationalError:  # busy while the writer commits: ask again
        return False
    finally:
        db.close()


def _snap(cfg):
    with StateReader(cfg.storage.runtime_dir / "state.bin") as reader:
        return reader.snapshot(prices=False)


async def test_disk_full_mid_run_pauses_shows_the_fault_and_recovers(
    devnet, tmp_path, caplog
) -> None:
    with small_tmpfs(tmp_path / "data", "8m") as data:
        path = await appliance_config(devnet, tmp_path)
        text = re.sub(
            r'(data_dir = ".*")', r"\1\ncommit_interval_s = 0.2", path.read_text(), count=1
        )
        path.write_text(text)
        cfg = load_config(path)
        factory = MockFactory()
        filler = data / "filler"
        async with trio.open_nursery() as nursery:
            sup = await nursery.start(
                lambda task_status: run_supervisor(
                    cfg, pin_factory=factory, task_status=task_status
                )
            )
            await sup.ready.wait()
            await _until(lambda: _snap(cfg).mode is Mode.NORMAL)

            head = _snap(cfg).head_block
            fill(filler)
            await devnet.mine(3)
            await _until(lambda: "data_dir is full" in _snap(cfg).last_alert)
            await _until(lambda: _snap(cfg).leds["red"] in ("slow", "fast"))
            await _until(lambda: _snap(cfg).mode is Mode.PAUSED)  # the storage hold
            assert _snap(cfg).writer_alive()  # the supervisor is still up

            filler.unlink()
            await devnet.mine(3)
            await _until(lambda: _alerted(data, "writable again"))
            await devnet.mine(1)
            top = _snap(cfg).head_block
            await _until(lambda: max(_journal_blocks(data, head), default=0) >= top)
            await _until(lambda: _snap(cfg).mode is Mode.NORMAL)  # the hold is released
            assert _snap(cfg).writer_alive()
            nursery.cancel_scope.cancel()
        assert set(range(head + 1, top + 1)) <= _journal_blocks(data, head)  # none lost
        # the risk state could not be saved meanwhile: logged, retried, never a crash
        assert "could not be saved" in caplog.text
        assert "subsystem risk crashed" not in caplog.text
