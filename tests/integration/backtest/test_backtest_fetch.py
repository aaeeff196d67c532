"""``backtest --fetch``: a devnet's history over RPC into a journal, resumable, replayed exactly."""

from __future__ import annotations

import json
import sqlite3

import pytest
import trio

import appliance.backtest.fetch as fetch_mod
from appliance.backtest.fetch import fetch_history
from appliance.backtest.sources import journal_market
from appliance.chain import open_rpc_pool
from appliance.cli import main as cli_main
from appliance.config import load_config

pytestmark = pytest.mark.devnet


async def _history(dn, blocks: int) -> tuple[int, int, dict[int, dict[str, tuple[int, int]]]]:
    """Mine ``blocks`` blocks with a swap in most; return the range and each block's reserves."""
    first = await dn.mine()
    truth = {}
    pairs = [("uniswap", "WETH", "USDC"), ("sushiswap", "USDC", "WETH"), ("uniswap", "DAI", "WETH")]
    for i in range(blocks):
        if i % 4 != 3:  # every fourth block changes nothing
            dex, a, b = pairs[i % 3]
            amount = (1 + i) * (10**18 if a != "USDC" else 10**6) * (3000 if a == "USDC" else 1)
            await dn.swap(dex, a, b, amount, account="simulator", mine=False)
        number = await dn.mine()
        truth[number] = await dn.all_reserves()
    return first + 1, number, truth


async def test_fetch_resume_and_replay_equal_the_chain(devnet, tmp_path, monkeypatch):
    dn = devnet
    cfg = load_config(dn.config_path, check_key=False)
    lo, hi, truth = await _history(dn, 12)
    path = tmp_path / "history.sqlite"
    monkeypatch.setattr(fetch_mod, "LOG_BLOCKS", 5)

    seen = []

    def stop_after_first_chunk(done, total):
        seen.append(done)
        raise KeyboardInterrupt  # the owner's Ctrl-C after the first chunk was committed

    async with open_rpc_pool(cfg.chain) as rpc:
        with pytest.raises(KeyboardInterrupt):
            await fetch_history(
                rpc, cfg, path, from_block=lo, to_block=hi, progress=stop_after_first_chunk
            )
        resumed = await fetch_history(rpc, cfg, path, from_block=lo, to_block=hi)
        with pytest.raises(Exception, match="holds blocks"):
            await fetch_history(rpc, cfg, path, from_block=lo, to_block=hi + 1)
    assert seen == [5] and resumed.resumed_from == lo + 5
    discovered, _, blocks = journal_market(path)
    assert {p.address for p in discovered.pools} == {p.address for p in dn.pools}
    state = {}
    replayed = {}
    for block in blocks:
        state.update(block.reserves)
        replayed[block.number] = dict(state)
    # every block of the range: the journal's running reserves equal the chain's, to the wei
    running = replayed[lo - 1]
    for number in range(lo, hi + 1):
        running = replayed.get(number, running)
        assert running == truth[number], number
    with sqlite3.connect(path) as conn:
        fees = dict(conn.execute("SELECT number, base_fee FROM blocks"))
    assert set(fees) == set(replayed) - {lo - 1} and all(f is not None for f in fees.values())


def test_fetch_then_backtest_from_the_command_line(devnet, tmp_path, capsys):
    dn = devnet
    lo, hi, _ = trio.run(_history, dn, 6)
    out = tmp_path / "fetched.sqlite"
    argv = [
        "backtest",
        "--config",
        str(dn.config_path),
        "--fetch",
        f"{lo}:{hi}",
        "--journal",
        str(out),
    ]
    assert cli_main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["journal"] == str(out) and doc["blocks"] >= 1
    assert cli_main([*argv[:3], "--fetch", "9:x"]) == 2
    assert "FROM:TO" in capsys.readouterr().err
