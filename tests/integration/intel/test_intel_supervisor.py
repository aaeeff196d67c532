"""Market intelligence through the whole supervisor: a rival's triangle on the devnet is seen by
the chain task, classified by the intel task, journaled by the store, and shown by
``arb-appliance competitors --json`` with its exact profit (real Anvil, MockFactory)."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
import trio
from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).parents[1] / "supervisor"))

from sup_helpers import appliance_config

from appliance.cli import main as cli_main
from appliance.config import load_config
from appliance.devnet._abi import calldata
from appliance.supervisor import run_supervisor

pytestmark = pytest.mark.devnet

ETH = 10**18


def _arbitrages(journal: Path) -> list[tuple]:
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        return db.execute("SELECT tx_hash, kind, searcher, profit FROM arbitrages").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


async def test_a_rivals_triangle_reaches_the_leaderboard(devnet, tmp_path, capsys):
    dn = devnet
    path = await appliance_config(dn, tmp_path)
    cfg = load_config(path)
    weth, usdc, dai = (dn.token(s).address for s in ("WETH", "USDC", "DAI"))
    competitor = dn.address_of("competitor")
    async with trio.open_nursery() as nursery:
        sup = await nursery.start(
            lambda task_status: run_supervisor(
                cfg, pin_factory=MockFactory(), task_status=task_status
            )
        )
        await sup.ready.wait()
        await dn.swap("uniswap", "USDC", "WETH", 400_000 * 10**6, account="simulator")
        before = await dn.balance(weth, competitor)
        receipt = await dn.send_tx(
            "competitor",
            dn.dex("uniswap").router,
            calldata(
                "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
                5 * ETH,
                0,
                [weth, usdc, dai, weth],
                competitor,
                2**63,
            ),
            gas=600_000,
        )
        profit = await dn.balance(weth, competitor) - before
        tx = receipt["transactionHash"].lower()
        with trio.fail_after(60):
            while not any(row[0] == tx for row in _arbitrages(sup.journal_path)):
                await dn.mine()
                await trio.sleep(0.2)
        nursery.cancel_scope.cancel()
    assert cli_main(["competitors", "--config", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (theirs,) = [a for a in doc["arbitrages"] if a["tx_hash"] == tx]
    assert theirs["searcher"].lower() == competitor.lower() and theirs["kind"] == "arbitrage"
    assert (
        theirs["profit_wei"] == profit > 0 and theirs["gas_wei"] > 0 and len(theirs["pools"]) == 3
    )
    top = next(e for e in doc["leaderboard"] if e["searcher"].lower() == competitor.lower())
    assert top["profit_wei"] >= profit
