"""Keeping a devnet alive in the foreground: simulator, rival searchers, Anvil watchdog, clean
shutdown.

Shared by ``arb-appliance devnet`` and ``arb-appliance demo``. Trio's strict exception groups
are unwrapped here so the CLI sees one :class:`~appliance.errors.ApplianceError` (one line on
stderr) instead of a traceback.
"""

from __future__ import annotations

import functools
import signal
from collections.abc import Sequence

import trio

from appliance.devnet.devnet import Devnet
from appliance.devnet.errors import AnvilFailed
from appliance.devnet.gas import run_base_fee_floor
from appliance.devnet.price_follower import run_price_follower
from appliance.devnet.searchers import run_searchers
from appliance.devnet.simulator import run_simulator
from appliance.errors import first_appliance_error

__all__ = [
    "first_appliance_error",
    "run_anvil_watch",
    "run_devnet_market",
    "stop_signals",
    "wait_for_stop_signal",
]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
MAINNET_BLOCK_S = 12.0  # the recorded series' block time: the follower keeps its pace


async def run_anvil_watch(
    dn: Devnet, *, period: float = 0.25, task_status=trio.TASK_STATUS_IGNORED
) -> None:
    """Raise :class:`AnvilFailed` (with Anvil's last stderr line) as soon as Anvil exits."""
    task_status.started()
    while True:
        code = dn.anvil.process.poll() if dn.anvil.process is not None else -1
        if code is not None:
            line = dn.anvil.last_stderr_line()
            raise AnvilFailed(
                f"anvil exited unexpectedly with code {code}: {line or '(no output)'}"
            )
        await trio.sleep(period)


def stop_signals():
    """``with stop_signals() as signals:`` — SIGINT/SIGTERM are queued, not raised, inside.

    Open it *before* starting anything, so a Ctrl-C in any window is a clean stop.
    """
    return trio.open_signal_receiver(*STOP_SIGNALS)


async def wait_for_stop_signal(signals) -> int:
    """Return the number of the first SIGINT/SIGTERM from a :func:`stop_signals` receiver."""
    async for signum in signals:
        return int(signum)
    return 0  # pragma: no cover


async def run_devnet_market(
    dn: Devnet,
    *,
    seed: int,
    simulator: bool,
    searchers: bool = False,
    real_prices: Sequence[tuple[int, int, int]] | None = None,
    task_status=trio.TASK_STATUS_IGNORED,
):
    """Simulator, rival searchers and a real-price follower (each optional) + Anvil watch, and
    the base-fee floor of a devnet started with mainnet-like gas (``dn.gas``).

    Runs until cancelled; ``started(stats or None)`` hands back the simulator's stats.
    ``real_prices``: recorded mainnet USDC/WETH reserves (``load_price_series``) the lead pool
    follows.
    """
    async with trio.open_nursery() as nursery:
        await nursery.start(run_anvil_watch, dn)
        if dn.gas is not None:
            await nursery.start(run_base_fee_floor, dn, dn.gas)
        if searchers:
            await nursery.start(run_searchers, dn)
        if real_prices is not None:
            pace = max(1, round(MAINNET_BLOCK_S / (dn.block_time or MAINNET_BLOCK_S)))
            await nursery.start(
                functools.partial(run_price_follower, dn, real_prices, blocks_per_record=pace)
            )
        stats = (
            await nursery.start(functools.partial(run_simulator, dn, seed=seed))
            if simulator
            else None
        )
        task_status.started(stats)
