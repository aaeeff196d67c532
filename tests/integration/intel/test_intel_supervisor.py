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

from intel_helpers import send_router_triangle
from sup_helpers import appliance_config

from appliance.cli import main as cli_main
from appliance.config import load_config
from appliance.store.swap_codec import decode_swaps
from appliance.supervisor import run_supervisor

pytestmark = pytest.mark.devnet


def _swap_legs(journal: Path, tx: str) -> list[tuple]:
    """(pool address, amount in, amount out, tx.from) of ``tx``'s journaled swaps, in log order."""
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        pools = dict(db.execute("SELECT id, address FROM pools"))
        legs = [
            s
            for (blob,) in db.execute("SELECT swaps FROM swap_blocks")
            for s in decode_swaps(blob)
            if s.tx_hash == tx.lower()
        ]
        return [
            (pools[s.pool_id], s.amount_in, s.amount_out, s.tx_sender)
            for s in sorted(legs, key=lambda s: s.log_index)
        ]
    finally:
        db.close()


def _arbitrages(journal: Path) -> list[tuple]:
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        return db.execute("SELECT tx_hash, kind, searcher, profit FROM arbitrages").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def theirs_pools(dn) -> list[str]:
    pairs = (("WETH", "USDC"), ("USDC", "DAI"), ("DAI", "WETH"))
    return [dn.pool("uniswap", a, b).address for a, b in pairs]


async def test_a_rivals_triangle_reaches_the_leaderboard(devnet, tmp_path, capsys):
    dn = devnet
    path = await appliance_config(dn, tmp_path)
    cfg = load_config(path)
    weth = dn.token("WETH").address
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
        receipt = await send_router_triangle(dn)
        profit = await dn.balance(weth, competitor) - before
        tx = receipt["transactionHash"].lower()
        with trio.fail_after(60):
            while not any(row[0] == tx for row in _arbitrages(sup.journal_path)):
                await dn.mine()
                await trio.sleep(0.2)
        nursery.cancel_scope.cancel()
    # its swaps are journaled too (committed with or before the arbitrage row), with the sender
    legs = _swap_legs(sup.journal_path, tx)
    assert [row[0] for row in legs] == theirs_pools(dn)
    assert {row[3] for row in legs} == {competitor.lower()}
    assert int(legs[0][1]) == 5 * 10**18 and int(legs[-1][2]) - int(legs[0][1]) == profit
    assert cli_main(["competitors", "--config", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (theirs,) = [a for a in doc["arbitrages"] if a["tx_hash"] == tx]
    assert theirs["searcher"].lower() == competitor.lower() and theirs["kind"] == "arbitrage"
    assert (
        theirs["profit_wei"] == profit > 0 and theirs["gas_wei"] > 0 and len(theirs["pools"]) == 3
    )
    top = next(e for e in doc["leaderboard"] if e["searcher"].lower() == competitor.lower())
    assert top["profit_wei"] >= profit
