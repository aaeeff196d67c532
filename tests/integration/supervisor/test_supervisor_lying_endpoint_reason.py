"""Why an endpoint is DOWN reaches the owner (#23): a lying JSON-RPC server of our own (a head
1,000 blocks ahead that does not exist) as the primary, the real supervisor, the state file, and
then the two readers — the status screen (Textual pilot, health page) and ``arb-appliance status``
(human and ``--json``, a real process). The endpoint's URL carries an API key: neither reader
nor the state file may show it.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

import pytest
import trio
from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "chain"))
sys.path.insert(0, str(Path(__file__).parents[2] / "ui"))

from lyingnode import LyingNode
from sup_helpers import appliance_config
from ui_helpers import loaded, screen_text

from appliance.config import load_config
from appliance.store.schema import JOURNAL_NAME
from appliance.store.statefile import STATE_FILE_NAME, StateReader
from appliance.supervisor import run_supervisor

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(180)]

SECRET = "k3y0f7h3l1ar5ecret9"  # an API key in the liar's URL path (Infura style: /v3/<key>)
GUARD_S = 90  # hang guard only


def _liar_reason(state: Path, host: str) -> str:
    """The liar's reason in the state file, once it is marked unhealthy ("" until then)."""
    with StateReader(state) as reader:
        slots = [r for r in reader.snapshot(prices=False).rpc if r.host == host]
    return slots[0].reason if slots and not slots[0].healthy else ""


def _screen_of(state: Path, journal: Path, host: str) -> str:
    """The health page at 120x40, run on asyncio in a worker thread while the supervisor runs."""
    from ui.app import StatusApp
    from ui.source import StatusSource

    async def look() -> str:
        app = StatusApp(StatusSource(state, journal), view="health")
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):  # the refresh worker is a thread: wait for the reason to show
                await loaded(pilot)
                text = screen_text(app)
                if f"{host}: " in text:
                    return text
            return text

    return asyncio.run(look())


async def test_a_lying_primary_is_down_with_its_reason_on_screen_and_in_status(
    fresh_devnet, tmp_path
) -> None:
    dn = fresh_devnet
    async with trio.open_nursery() as outer:
        liar = LyingNode(dn.rpc)
        await outer.start(liar.serve)
        host = f"127.0.0.1:{liar.port}"
        path = await appliance_config(dn, tmp_path)
        text = path.read_text()
        text, n = re.subn(
            r"^rpc = \[(.*)\]$", rf'rpc = ["{liar.url}/v3/{SECRET}", \1]', text, flags=re.M
        )
        assert n == 1
        path.write_text(text)
        cfg = load_config(path)
        state = cfg.storage.runtime_dir / STATE_FILE_NAME
        journal = cfg.storage.data_dir / JOURNAL_NAME

        async with trio.open_nursery() as nursery:
            sup = await nursery.start(
                lambda task_status: run_supervisor(
                    cfg, pin_factory=MockFactory(), task_status=task_status
                )
            )
            await sup.ready.wait()
            liar.lie = "future"
            with trio.fail_after(GUARD_S):
                while not (reason := _liar_reason(state, host)):
                    await dn.mine()
                    await trio.sleep(0.3)
            assert "cannot be fetched" in reason or "do not exist" in reason, reason

            screen = await trio.to_thread.run_sync(_screen_of, state, journal, host)
            assert f"{host}: {reason}"[:60] in screen, screen
            rows = [line for line in screen.splitlines() if re.search(rf"\b{host} +DOWN\b", line)]
            assert len(rows) == 1, screen  # its table row says DOWN (the reason is under it)

            status = [sys.executable, "-m", "appliance", "status", "--config", str(path)]
            doc_run = await trio.run_process([*status, "--json"], capture_stdout=True, check=False)
            human = await trio.run_process(status, capture_stdout=True, check=False)
            raw_state = state.read_bytes()
            nursery.cancel_scope.cancel()
        outer.cancel_scope.cancel()

    doc = json.loads(doc_run.stdout)
    liar_doc = next(r for r in doc["rpc"] if r["host"] == host)
    assert liar_doc["healthy"] is False and liar_doc["reason"] == reason
    honest = [r for r in doc["rpc"] if r["host"] != host]
    assert honest and all(r["healthy"] and r["reason"] == "" for r in honest)
    out = human.stdout.decode()
    assert f"why          {reason}" in out, out
    for shown in (doc_run.stdout, human.stdout, screen.encode(), raw_state):
        assert SECRET.encode() not in shown
