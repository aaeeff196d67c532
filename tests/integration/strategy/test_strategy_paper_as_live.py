"""Paper mode behaves as live (#14.11): the same scripted market on the real devnet, run through
the whole supervisor once in paper and once in live mode, gives the same sequence of decisions.

The market of the report: two DEXes (uniswap, sushiswap) and the base tokens WETH and USDC only
(the appliance's config watches just those). The script: a dislocation of the WETH/USDC pool on
one DEX (a real router swap), then four more of the same pool, 11 blocks apart; every block is
mined only once the supervisor has seen the last one and no trade is in flight. Live mode trades each one (its fill moves both pools back);
paper mode must too (before the fix it took the first and then went quiet: the paper "fill"
kept both pools consumed until *both* changed). Sizes may differ after the first fill: the live
fills moved the pools, the paper ones did not.
"""

from __future__ import annotations

import math
import re
import sqlite3
import sys
from pathlib import Path

import pytest
import trio
from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).parents[1] / "supervisor"))

from sup_helpers import appliance_config

from appliance.config import load_config
from appliance.store.statefile import StateReader
from appliance.supervisor import run_supervisor

pytestmark = pytest.mark.devnet

ETH = 10**18
PUSHES, QUIET = 5, 11
RISK = """
[risk]
max_trade_wei = 40000000000000000000
max_trade_pct_inventory = 100.0
max_pool_exposure_pct = 100.0
max_token_exposure_pct = 100.0
max_pending_trades = 10

[execution]
receipt_poll_s = 0.05
"""


def _rows(cfg, sql: str, args=()) -> list[tuple]:
    db = sqlite3.connect(f"file:{cfg.storage.data_dir / 'journal.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


def _head(cfg) -> int:
    try:
        with StateReader(cfg.storage.runtime_dir / "state.bin") as reader:
            return reader.snapshot(prices=False).head_block or -1
    except Exception:
        return -1


async def _until(predicate, what: str, *, timeout: float = 60.0) -> None:
    with trio.move_on_after(timeout):
        while not predicate():
            await trio.sleep(0.05)
        return
    raise AssertionError(f"timed out waiting for {what}")


async def _trades(cfg, status: str) -> int:
    return _rows(cfg, "SELECT count(*) FROM trades WHERE status = ?", (status,))[0][0]


def _in_flight(cfg) -> int:
    return _rows(cfg, "SELECT count(*) FROM trades WHERE status IN ('signed', 'sent')")[0][0]


async def _settled(cfg, block: int) -> None:
    """Until the supervisor saw ``block`` and no trade is in flight."""
    await _until(lambda: _head(cfg) >= block, f"the supervisor to see block {block}")
    await _until(lambda: _in_flight(cfg) == 0, "the trades in flight to settle")


async def _balance(dn) -> None:
    """Bring uniswap's WETH/USDC price to sushiswap's (the devnet plants a small deviation), so
    the scripted pushes are the only dislocations."""
    weth = dn.token("WETH").address
    (x_u, y_u), (x_s, y_s) = [
        (r0, r1) if pool.token0 == weth else (r1, r0)
        for pool in (dn.pool("uniswap", "WETH", "USDC"), dn.pool("sushiswap", "WETH", "USDC"))
        for r0, r1 in [await dn.reserves(pool)]
    ]
    target = math.isqrt(x_u * y_u * x_s // y_s)  # uniswap's WETH reserve at sushiswap's price
    if target > x_u:
        await dn.swap("uniswap", "WETH", "USDC", target - x_u, account="simulator")
    elif target < x_u:
        y_target = x_u * y_u // target
        await dn.swap("uniswap", "USDC", "WETH", y_target - y_u, account="simulator")


async def _script(dn, cfg, *, live: bool) -> list[int]:
    """Run the scripted market against the running supervisor; returns the push blocks."""
    pushes = []
    base = _rows(cfg, "SELECT count(*) FROM trades")[0][0]
    for k in range(PUSHES):
        await dn.swap("uniswap", "WETH", "USDC", 40 * ETH, account="competitor")
        block = await dn.block_number()
        pushes.append(block)
        # the push is traded in both modes (live: signed and sent, mined in the next block)
        await _until(
            lambda n=base + k: _rows(cfg, "SELECT count(*) FROM trades")[0][0] > n,
            f"the order of push {k} (block {block})",
        )
        await _until(
            lambda n=base + k: (
                _rows(cfg, "SELECT count(*) FROM trades WHERE status != 'signed'")[0][0] > n
            ),
            f"the order of push {k} sent or filled",
        )
        for _ in range(QUIET):
            await _settled(cfg, await dn.mine(1))
    return pushes


async def _run(dn, tmp: Path, *, live: bool):
    tmp.mkdir()
    cfg = load_config(await appliance_config(dn, tmp, live=live, extra=RISK))
    text = cfg.path.read_text().replace("[storage]\n", "[storage]\ncommit_interval_s = 0.2\n", 1)
    text = re.sub(r"allow = \[.*?\]\n", "", text, flags=re.S)  # the base tokens only
    text = re.sub(r'\[\[dex\]\]\nname = "shibaswap".*?\n\n', "", text, flags=re.S)  # two DEXes
    cfg.path.write_text(text)
    cfg = load_config(cfg.path)
    async with trio.open_nursery() as nursery:
        sup = await nursery.start(
            lambda task_status: run_supervisor(
                cfg, pin_factory=MockFactory(), task_status=task_status
            )
        )
        await sup.ready.wait()
        weth = dn.token("WETH").address
        await _until(lambda: sup.risk.size_caps().get(weth, 0) > 0, "the inventory to be read")
        pushes = await _script(dn, cfg, live=live)
        nursery.cancel_scope.cancel()
    rows = _rows(
        cfg,
        "SELECT block, decision, reason, path, amount_in FROM opportunities"
        " WHERE block >= ? ORDER BY block, id",
        (pushes[0],),
    )
    decisions = []
    for block, decision, reason, path, amount_in in rows:
        push = max(i for i, b in enumerate(pushes) if b <= block)
        decisions.append((push, block - pushes[push], decision, reason, path, int(amount_in)))
    return decisions, _rows(cfg, "SELECT status, count(*) FROM trades GROUP BY status")


async def test_paper_and_live_decide_the_same_on_the_same_scripted_market(devnet, tmp_path):
    dn = devnet
    await _balance(dn)
    start = await dn.snapshot()
    paper, paper_trades = await _run(dn, tmp_path / "paper", live=False)
    await dn.revert(start)
    live, live_trades = await _run(dn, tmp_path / "live", live=True)

    def shape(decisions):
        return [d[:5] for d in decisions]  # everything but the size

    assert dict(live_trades) == {"mined": PUSHES}
    assert dict(paper_trades) == {"paper": PUSHES}
    assert shape(paper) == shape(live), (paper, live)
    assert [d[0] for d in paper if d[2] == "approved"] == list(range(PUSHES))
    assert paper[0] == live[0]  # the first fill: same market, same size
