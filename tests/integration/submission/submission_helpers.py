"""Helpers of the submission tests: the recording proxy in front of Anvil (the "public
endpoint", :mod:`exec_rpc_proxy`), relay processes, a searcher key file, and the execution
harness that also keeps relay health."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import trio
from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "execution"))

from exec_helpers import (
    Harness,
    deploy_executors,
    exec_config,
    make_candidate,
    on_snapshot,
    order_for,
    plant,
)
from exec_rpc_proxy import RpcProxy
from relay_server import RelayProcess

from appliance.events import RelayHealthChanged, TradeUpdated

__all__ = [
    "SEARCHER_KEY",
    "RelayHarness",
    "RpcProxy",
    "deploy_executors",
    "exec_config",
    "make_candidate",
    "on_snapshot",
    "order_for",
    "plant",
    "relay_processes",
    "write_searcher_key",
]

# the relay identity of these tests, derived from its name (no key literal): never a trading key
SEARCHER_KEY = "0x" + keccak(text="arb-appliance test: pipeline relay identity").hex()


def write_searcher_key(directory: Path) -> Path:
    path = directory / "searcher.key"
    path.write_text(SEARCHER_KEY + "\n")
    os.chmod(path, 0o600)
    return path


@contextmanager
def relay_processes(anvil_url: str, modes: list[str]) -> Iterator[list[RelayProcess]]:
    with ExitStack() as stack:
        yield [stack.enter_context(RelayProcess(anvil_url, mode=m)) for m in modes]


class RelayHarness(Harness):
    """The execution harness; relay health events are kept aside (they are not trades)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relay_events: list[RelayHealthChanged] = []

    async def next_update(self) -> TradeUpdated:
        while True:
            with trio.fail_after(60):
                update = await self.results_recv.receive()
            if isinstance(update, RelayHealthChanged):
                self.relay_events.append(update)
                continue
            self.journal.upsert_trade(update)
            self.updates.append(update)
            return update
