"""Shared steps of the paper-mode tests: the report's two-DEX devnet market, journal reads."""

from __future__ import annotations

import math
import re
import sqlite3
import sys
from pathlib import Path

import trio
from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).parents[1] / "supervisor"))

from sup_helpers import appliance_config

from appliance.store.statefile import StateReader
from appliance.supervisor import run_supervisor

__all__ = [
    "ETH",
    "balance_market",
    "head",
    "rows",
    "start_trading",
    "two_dex_config",
    "until",
]

ETH = 10**18
# 40 WETH pushes are big price moves: the volatility regime (fed every block) would shrink the
# sizes between the inventory task's size-cap updates; these tests are about decisions, not that
RISK = """
[risk]
max_trade_wei = 40000000000000000000
max_trade_pct_inventory = 100.0
max_pool_exposure_pct = 100.0
max_token_exposure_pct = 100.0
max_pending_trades = 10
vol_medium = 0.5
vol_high = 1.0

[execution]
receipt_poll_s = 0.05
"""


async def two_dex_config(dn, tmp: Path, *, live: bool, commit_interval_s: float) -> Path:
    """The devnet's config with a funded executor, watching WETH and USDC on uniswap and
    sushiswap only (the market of the report), limits that let one fill close a push."""
    tmp.mkdir(parents=True, exist_ok=True)
    path = await appliance_config(dn, tmp, live=live, extra=RISK)
    text = path.read_text().replace(
        "[storage]\n", f"[storage]\ncommit_interval_s = {commit_interval_s}\n", 1
    )
    text = re.sub(r"allow = \[.*?\]\n", "", text, flags=re.S)  # the base tokens only
    text = re.sub(r'\[\[dex\]\]\nname = "shibaswap".*?\n\n', "", text, flags=re.S)  # two DEXes
    path.write_text(text)
    return path


async def start_trading(nursery: trio.Nursery, dn, cfg):
    """The whole supervisor on ``cfg`` in ``nursery`` (MockFactory pins), once it is ready and
    has read the WETH inventory it sizes with; returns its handle."""
    sup = await nursery.start(
        lambda task_status: run_supervisor(cfg, pin_factory=MockFactory(), task_status=task_status)
    )
    await sup.ready.wait()
    weth = dn.token("WETH").address
    await until(lambda: sup.risk.size_caps().get(weth, 0) > 0, "the inventory to be read")
    return sup


def rows(cfg, sql: str, args=()) -> list[tuple]:
    db = sqlite3.connect(f"file:{cfg.storage.data_dir / 'journal.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


def head(cfg) -> int:
    try:
        with StateReader(cfg.storage.runtime_dir / "state.bin") as reader:
            return reader.snapshot(prices=False).head_block or -1
    except Exception:
        return -1


async def until(predicate, what: str, *, timeout: float = 60.0) -> None:
    with trio.move_on_after(timeout):
        while not predicate():
            await trio.sleep(0.05)
        return
    raise AssertionError(f"timed out waiting for {what}")


async def balance_market(dn) -> None:
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
