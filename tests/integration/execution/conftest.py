"""Fixtures of the execution integration tests: one devnet per module with two executors
(inventory-funded and empty for flash swaps); each test runs on a snapshot that is reverted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parent))

from exec_helpers import deploy_executors

from appliance.devnet import start_devnet
from appliance.safety import SafetyLatch
from appliance.store.journal import Journal


@pytest.fixture(scope="module")
def exec_net():
    with start_devnet(seed=1) as dn:
        inv, flash = trio.run(deploy_executors, dn)
        yield dn, inv, flash


@pytest.fixture
async def chain(exec_net):
    dn, inv, flash = exec_net
    snap = await dn.snapshot()
    try:
        yield dn, inv, flash
    finally:
        await dn.set_automine(False)
        await dn.call("anvil_dropAllTransactions")  # a revert keeps the pool: a test's unmined
        await dn.revert(snap)  # trade would otherwise be mined in the next test's first block


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as j:
        yield j


@pytest.fixture
def latch(tmp_path):
    return SafetyLatch(tmp_path / "latch")
