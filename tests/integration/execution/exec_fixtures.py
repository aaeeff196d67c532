"""Fixtures of the execution integration tests, also used by the submission tests: one devnet per
module with two executors (inventory-funded and empty for flash swaps), V2 only (``chain``) or
with the npm V3 contracts and V3-capable executors (``v3_chain``); each test runs on a snapshot
that is reverted. A journal and a latch in the test's own directory."""

from __future__ import annotations

import pytest
import trio
from exec_helpers import deploy_executors, on_snapshot
from exec_v3_helpers import deploy_v3_executors

from appliance.devnet import start_devnet
from appliance.safety import SafetyLatch
from appliance.store.journal import Journal

__all__ = ["chain", "exec_net", "journal", "latch", "v3_chain", "v3_net"]


def _net(*, with_v3: bool):
    """A devnet of its own and its two executors: (devnet, inventory executor, flash executor)."""
    with start_devnet(seed=1, with_v3=with_v3) as dn:
        inv, flash = trio.run(deploy_v3_executors if with_v3 else deploy_executors, dn)
        yield dn, inv, flash


@pytest.fixture(scope="module")
def exec_net():
    yield from _net(with_v3=False)


@pytest.fixture
async def chain(exec_net):
    async with on_snapshot(exec_net[0]):
        yield exec_net


@pytest.fixture(scope="module")
def v3_net():
    yield from _net(with_v3=True)


@pytest.fixture
async def v3_chain(v3_net):
    async with on_snapshot(v3_net[0]):
        yield v3_net


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as j:
        yield j


@pytest.fixture
def latch(tmp_path):
    return SafetyLatch(tmp_path / "latch")
