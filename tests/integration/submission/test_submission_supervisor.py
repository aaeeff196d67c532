"""The whole supervisor in bundle mode (live) against a real Anvil market: the trade the strategy
finds goes out as a bundle through a relay process, never through the public endpoint (a
recording proxy), is mined when the relay builds, and the relay's health reaches the state file."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest
import trio
from gpiozero.pins.mock import MockFactory
from relay_server import control
from submission_helpers import SEARCHER_KEY, RpcProxy, relay_processes, write_searcher_key

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "supervisor"))

from sup_helpers import appliance_config

from appliance.config import load_config
from appliance.store.statefile import StateReader
from appliance.submission.identity import SearcherIdentity
from appliance.supervisor import run_supervisor

pytestmark = pytest.mark.devnet


def _trades(cfg) -> list[tuple]:
    db = sqlite3.connect(f"file:{cfg.storage.data_dir / 'journal.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT status, tx_hash, reason FROM trades ORDER BY rowid").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


async def _until(predicate, explain, *, timeout: float = 90.0) -> None:
    with trio.move_on_after(timeout):
        while not await predicate():
            await trio.sleep(0.1)
        return
    raise AssertionError(f"{predicate.__name__} not reached: {await explain()}")


async def test_the_supervisor_sends_a_found_trade_as_a_bundle_never_publicly(
    fresh_devnet, tmp_path
):
    dn = fresh_devnet
    with RpcProxy(dn.rpc).running() as proxy, relay_processes(dn.rpc, ["ok"]) as relays:
        key = write_searcher_key(tmp_path)
        path = await appliance_config(
            dn,
            tmp_path,
            live=True,
            extra=f'\n[execution]\nsubmit = "bundle"\nrelays = ["{relays[0].url}"]\n'
            f'searcher_key_file = "{key}"\ndeadline_blocks = 20\n',
        )
        text = re.sub(r"^rpc = .*$", f'rpc = ["{proxy.url}"]', path.read_text(), flags=re.M)
        path.write_text(text)
        cfg = load_config(path)
        async with httpx.AsyncClient() as http, trio.open_nursery() as nursery:
            sup = await nursery.start(
                lambda task_status: run_supervisor(
                    cfg, pin_factory=MockFactory(), task_status=task_status
                )
            )
            await sup.ready.wait()
            weth, usdc = dn.tokens["WETH"].address, dn.tokens["USDC"].address
            await dn.swap(dn.dexes[0].name, weth, usdc, 40 * 10**18, account="competitor")
            await dn.mine(1)

            async def explain() -> str:
                log = (await control(http, relays[0].url, "relay_log"))["log"]
                return f"trades {_trades(cfg)}, relay log {log}, public {dict(proxy.methods)}"

            async def mined() -> bool:
                """Build the next block once the relay holds a bundle for it (the supervisor
                resubmits each block; a first send may meet a head that moved: refused)."""
                if any(s == "mined" for s, _, _ in _trades(cfg)):
                    return True
                head = await dn.block_number()
                log = (await control(http, relays[0].url, "relay_log"))["log"]
                if any(
                    e["method"] == "eth_sendBundle" and e["target"] == head + 1 > e["head"]
                    for e in log
                ):
                    await control(http, relays[0].url, "relay_build")
                return False

            await _until(mined, explain)
            assert proxy.sends() == {}  # the public endpoint never saw a send of any kind
            log = (await control(http, relays[0].url, "relay_log"))["log"]
            assert {e["signer"] for e in log} == {SearcherIdentity(SEARCHER_KEY).address}
            _, tx_hash, _ = next(t for t in _trades(cfg) if t[0] == "mined")
            assert tx_hash in (await control(http, relays[0].url, "relay_log"))["included"]

            host = relays[0].url.removeprefix("http://")

            async def on_screen() -> bool:
                snap = StateReader(cfg.storage.runtime_dir / "state.bin").snapshot()
                return snap.breakers.get(f"relay:{host}") == "closed"

            await _until(on_screen, explain)
            nursery.cancel_scope.cancel()
