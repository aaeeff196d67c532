"""Paper mode behaves as live (#14.11): the same scripted market on the real devnet, run through
the whole supervisor once in paper and once in live mode, gives the same sequence of decisions.

The market of the report: two DEXes (uniswap, sushiswap) and the base tokens WETH and USDC only
(the appliance's config watches just those). The script: a dislocation of the WETH/USDC pool on
one DEX (a real router swap), then four more of the same pool, 11 blocks apart; every block is
mined only once the supervisor has seen the last one and no trade is in flight. Live mode trades
each one (its fill moves both pools back); paper mode must too. Before the fix it took the first
and went quiet: the paper "fill" kept both pools consumed until *both* changed, and a push moves
one. Sizes may differ after the first fill: the live fills moved the pools, the paper ones were
laid over the reserves the push then moved on the chain without them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parent))

from paper_helpers import ETH, balance_market, head, rows, start_trading, two_dex_config, until

from appliance.config import load_config

pytestmark = pytest.mark.devnet

PUSHES, QUIET = 5, 11


def _in_flight(cfg) -> int:
    return rows(cfg, "SELECT count(*) FROM trades WHERE status IN ('signed', 'sent')")[0][0]


async def _settled(cfg, block: int) -> None:
    """Until the supervisor saw ``block`` and no trade is in flight."""
    await until(lambda: head(cfg) >= block, f"the supervisor to see block {block}")
    await until(lambda: _in_flight(cfg) == 0, "the trades in flight to settle")


async def _script(dn, cfg, *, live: bool) -> list[int]:
    """Run the scripted market against the running supervisor; returns the push blocks."""
    pushes = []
    base = rows(cfg, "SELECT count(*) FROM trades")[0][0]
    for k in range(PUSHES):
        await dn.swap("uniswap", "WETH", "USDC", 40 * ETH, account="competitor")
        block = await dn.block_number()
        pushes.append(block)
        # the push is traded in both modes (live: signed and sent, mined in the next block)
        await until(
            lambda n=base + k: rows(cfg, "SELECT count(*) FROM trades")[0][0] > n,
            f"the order of push {k} (block {block})",
        )
        await until(
            lambda n=base + k: (
                rows(cfg, "SELECT count(*) FROM trades WHERE status != 'signed'")[0][0] > n
            ),
            f"the order of push {k} sent or filled",
        )
        for _ in range(QUIET):
            await _settled(cfg, await dn.mine(1))
    return pushes


async def _run(dn, tmp: Path, *, live: bool):
    cfg = load_config(await two_dex_config(dn, tmp, live=live, commit_interval_s=0.2))
    async with trio.open_nursery() as nursery:
        sup = await start_trading(nursery, dn, cfg)
        pushes = await _script(dn, cfg, live=live)
        # the risk inputs are fed on the real path: prices every block (#14.9), and equity
        # values both base tokens (50 WETH + 100,000 USDC at the implied rate, #14.10)
        engine = sup.risk
        assert engine.regime in ("low", "medium", "high")
        await until(lambda: engine.breakers.equity is not None, "a valuation of the account")
        assert engine.breakers.equity > 60 * ETH
        nursery.cancel_scope.cancel()
    found = rows(
        cfg,
        "SELECT block, decision, reason, path, amount_in FROM opportunities"
        " WHERE block >= ? ORDER BY block, id",
        (pushes[0],),
    )
    decisions = []
    for block, decision, reason, path, amount_in in found:
        push = max(i for i, b in enumerate(pushes) if b <= block)
        decisions.append((push, block - pushes[push], decision, reason, path, int(amount_in)))
    return decisions, rows(cfg, "SELECT status, count(*) FROM trades GROUP BY status")


async def test_paper_and_live_decide_the_same_on_the_same_scripted_market(devnet, tmp_path):
    dn = devnet
    await balance_market(dn)
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
