"""Shared fixtures. The devnet ones (owned by the devnet package) start real Anvil nodes.

Devnet fixtures (mark such tests ``@pytest.mark.devnet``):

* ``devnet_session`` — session scope: one deployment (seed 1) per xdist worker. Don't mutate it
  directly; use ``devnet``.
* ``devnet`` — function scope: the session devnet wrapped in ``evm_snapshot``/``evm_revert``,
  so a test may swap, mine and deploy freely; pending transactions are dropped afterwards.
* ``fresh_devnet`` — function scope: its own Anvil + deployment, for tests that kill, stop or
  reconfigure the node. Options: ``@pytest.mark.devnet_options(seed=2, block_time=1.0,
  n_pools_extra=10)``.
* ``anvil`` — function scope: a bare :class:`~appliance.devnet.AnvilNode`, nothing deployed.
* ``devnet_v3_session`` / ``devnet_v3`` — the same pair for a devnet with Uniswap V3 deployed
  too (``start_devnet(with_v3=True)``, ``dn.v3``); the V2 side is identical to ``devnet``'s.

Mining mode: **manual** everywhere (Anvil ``--no-mining``): a block exists only when a test
mines one (``await dn.mine()``) or a helper with ``mine=True`` (the default of ``dn.swap``,
``dn.send_tx``, ``dn.deploy``) does. ``block_time`` in ``devnet_options`` switches a fresh
devnet to interval mining.

All fixtures here are sync (they run ``trio.run`` themselves), so they work for sync tests and
for pytest-trio async tests alike.

At the end of the session, any Anvil process started by this session (tracked through an
environment marker its processes inherit) that is still alive fails the run and is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from hypothesis import settings

# No timed assertions: Hypothesis's default 200 ms deadline per example failed a property test
# on a loaded 2-core box (a deadline is a timing assertion); every example may take its time.
settings.register_profile("appliance", deadline=None)
settings.load_profile("appliance")

_SESSION_ENV = "ARB_TEST_SESSION"


# ------------------------------------------------------------------------------ session hooks
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "devnet_options(seed=1, block_time=None, n_pools_extra=0): options of fresh_devnet",
    )
    # pytest-xdist registers it only when loaded; runs with -p no:xdist need it too
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one xdist worker")
    if _SESSION_ENV not in os.environ:  # the xdist controller sets it; workers inherit it
        os.environ[_SESSION_ENV] = uuid.uuid4().hex
        config.stash[_owner_key] = os.environ[_SESSION_ENV]


_owner_key = pytest.StashKey[str]()


def _anvils_with_marker(marker: str) -> list[int]:
    needle = f"{_SESSION_ENV}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            if not cmdline or not cmdline[0].endswith(b"anvil"):
                continue
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    marker = session.config.stash.get(_owner_key, None)
    if marker is None:
        return
    leaked = _anvils_with_marker(marker)
    if not leaked:
        return
    for pid in leaked:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(
            f"ERROR: {len(leaked)} anvil process(es) outlived the test session: pids {leaked}",
            red=True,
        )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


# ------------------------------------------------------------------------------ devnet fixtures
@pytest.fixture(scope="session")
def devnet_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    from appliance.devnet import start_devnet

    with start_devnet(seed=1, data_dir=tmp_path_factory.mktemp("devnet")) as dn:
        yield dn


def _on_snapshot(dn) -> Iterator:
    """The session's devnet for one test, given back as it was (pending transactions dropped,
    automine off, state reverted, clock set to now)."""
    snap = trio.run(dn.snapshot)
    yield dn

    async def restore() -> None:
        async with dn.client() as rpc:
            await rpc.call("anvil_dropAllTransactions")
            await rpc.call("evm_setAutomine", [False])
            if not await rpc.call("evm_revert", [snap]):
                raise RuntimeError(f"evm_revert({snap!r}) failed")
            # evm_revert also rewinds Anvil's clock by the time since the snapshot: without this
            # the session's blocks drift behind the wall clock test after test, until the chain
            # task rightly calls them stale (#23) and nothing trades
            await rpc.call("evm_setTime", [int(time.time())])

    trio.run(restore)


@pytest.fixture
def devnet(devnet_session) -> Iterator:
    yield from _on_snapshot(devnet_session)


@pytest.fixture
def fresh_devnet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    from appliance.devnet import start_devnet

    marker = request.node.get_closest_marker("devnet_options")
    options = dict(marker.kwargs) if marker else {}
    with start_devnet(data_dir=tmp_path / "devnet", **options) as dn:
        yield dn


@pytest.fixture
def anvil() -> Iterator:
    from appliance.devnet import AnvilNode

    with AnvilNode(no_mining=True) as node:
        yield node


@pytest.fixture(scope="session")
def devnet_v3_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    from appliance.devnet import start_devnet

    with start_devnet(seed=1, data_dir=tmp_path_factory.mktemp("devnet-v3"), with_v3=True) as dn:
        yield dn


@pytest.fixture
def devnet_v3(devnet_v3_session) -> Iterator:
    yield from _on_snapshot(devnet_v3_session)
