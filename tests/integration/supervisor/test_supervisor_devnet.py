"""The whole supervisor against a real Anvil market, hardware through gpiozero's MockFactory."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
import trio
from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).parent))

from sup_helpers import appliance_config

from appliance.config import load_config
from appliance.modes import Mode
from appliance.safety import SafetyLatch
from appliance.store.statefile import StateReader
from appliance.supervisor import run_supervisor

pytestmark = pytest.mark.devnet

KILL_PIN, RED_PIN, GREEN_PIN = 17, 24, 22


def _rows(cfg, sql: str) -> list[tuple]:
    db = sqlite3.connect(f"file:{cfg.storage.data_dir / 'journal.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


async def _until(predicate, *, timeout: float = 60.0, step: float = 0.1) -> None:
    with trio.fail_after(timeout):
        while not predicate():
            await trio.sleep(step)


def _mode(cfg) -> Mode:
    return Mode(StateReader(cfg.storage.runtime_dir / "state.bin").snapshot().mode)


async def _dislocate(dn) -> None:
    """Push WETH/USDC on one DEX far from the others: a cross-DEX cycle appears."""
    weth, usdc = dn.tokens["WETH"].address, dn.tokens["USDC"].address
    await dn.swap(dn.dexes[0].name, weth, usdc, 40 * 10**18, account="competitor")


async def test_paper_trades_then_kill_switch_latches_across_restart(fresh_devnet, tmp_path) -> None:
    dn = fresh_devnet
    cfg = load_config(await appliance_config(dn, tmp_path))
    factory = MockFactory()
    async with trio.open_nursery() as nursery:
        sup = await nursery.start(
            lambda task_status: run_supervisor(cfg, pin_factory=factory, task_status=task_status)
        )
        await sup.ready.wait()
        await _dislocate(dn)
        await dn.mine(2)
        await _until(
            lambda: _rows(cfg, "SELECT count(*) FROM trades WHERE status = 'paper'")[0][0] > 0
        )
        # the kill switch: the latch trips in the pin callback itself, before Trio hears of it
        factory.pin(KILL_PIN).drive_low()
        assert sup.latch.tripped
        await _until(lambda: _mode(cfg) is Mode.EMERGENCY)
        await _until(lambda: factory.pin(RED_PIN).state == 1)
        assert factory.pin(GREEN_PIN).state == 0
        # an order that passed the latch just before the press may still be journaled now (its
        # block is at most this one); none may be filled on a block after it
        pressed_at = await dn.block_number()
        await _dislocate(dn)
        await dn.mine(3)
        # blocks are bulk rows (committed every storage.commit_interval_s, not with the trades)
        await _until(
            lambda: (_rows(cfg, "SELECT max(number) FROM blocks")[0][0] or 0) >= pressed_at + 3
        )
        await trio.sleep(1.0)
        late = "SELECT count(*) FROM trades WHERE status = 'paper' AND block_sent > ?"
        assert _rows(cfg, late.replace("?", str(pressed_at)))[0][0] == 0
        rows = _rows(cfg, "SELECT new, source FROM mode_changes ORDER BY id")
        assert ("EMERGENCY", "kill_switch") in rows
        nursery.cancel_scope.cancel()

    # restart: still EMERGENCY, nothing re-armed by itself
    assert SafetyLatch(cfg.storage.data_dir).tripped
    factory2 = MockFactory()
    async with trio.open_nursery() as nursery:
        sup = await nursery.start(
            lambda task_status: run_supervisor(cfg, pin_factory=factory2, task_status=task_status)
        )
        await sup.ready.wait()
        await _until(lambda: _mode(cfg) is Mode.EMERGENCY)
        await _until(lambda: factory2.pin(RED_PIN).state == 1)
        nursery.cancel_scope.cancel()
