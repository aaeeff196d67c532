"""Backtest: a journal written with the store's own API, read back by the store's one market
reader, replayed through the detector and through ``arb-appliance backtest``.

(Moved from the strategy tests with ``strategy/replay.py``, the reader's dead twin: what they
proved of it is proven here of :func:`appliance.store.market_reader.journal_market`.)
"""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from appliance.cli import main as cli_main
from appliance.events import BlockSeen, ReservesUpdated
from appliance.market.synthetic import NoiseMarket
from appliance.store.errors import JournalCorrupt, JournalMissing, MarketNotRecorded
from appliance.store.journal import Journal
from appliance.store.market_reader import journal_market
from appliance.strategy import Detector


def record(market: NoiseMarket, path, blocks: int) -> list:
    """Run the market, journal it like the store task does, and return the live results."""
    cfg = make_cfg(market)
    live = Detector(cfg)
    live.on_pools(market.discovered())
    found = []
    with Journal(path) as journal:
        journal.upsert_tokens(market.tokens)
        journal.upsert_pools(
            [
                (i, p.address, p.dex, p.token0, p.token1, p.fee_bps)
                for i, p in enumerate(market.pools)
            ]
        )
        ids = {p.address: i for i, p in enumerate(market.pools)}
        event = market.snapshot()
        for n in range(blocks):
            base_fee = (3 + n % 5) * GWEI
            event = dataclasses.replace(event, block=market.block)
            journal.add_blocks(
                [(BlockSeen(event.block, f"0x{event.block:064x}", "0x0", 0, base_fee), 0.0)]
            )
            journal.add_reserves(
                [(event.block, ids[a], str(r0), str(r1)) for a, (r0, r1) in event.reserves.items()]
            )
            result = live.on_reserves(event, base_fee)
            if result is not None:
                found.extend(result.candidates)
                for cand in result.candidates:
                    market.execute(cand)
            event = market.step(trades=4, max_fraction=0.02)
    return found


def replay(cfg, journal, **window):
    """The recorded market through a fresh detector, as the backtest feeds it: every candidate
    per block, and the blocks read (number, base fee)."""
    discovered, denied, blocks = journal_market(journal, **window)
    det = Detector(cfg)
    det.on_pools(discovered)
    for token, reason in denied:
        det.deny(token, reason)
    found, seen = [], []
    for block in blocks:
        seen.append((block.number, block.base_fee))
        result = det.on_reserves(
            ReservesUpdated(block.number, "", block.reserves), block.base_fee, seen_at=0.0
        )
        if result is not None:
            found.extend(result.candidates)
    return found, seen


def test_the_reader_reproduces_the_live_candidates_exactly(tmp_path):
    market = NoiseMarket(n_tokens=8, seed=21)
    cfg = make_cfg(market)
    journal = tmp_path / "journal.sqlite"
    live = record(market, journal, 150)
    assert live
    found, seen = replay(cfg, journal)
    assert len(seen) == 150 and [b for b, _ in seen] == list(range(150))
    assert all(fee == (3 + n % 5) * GWEI for n, fee in seen)  # each block's own base fee
    assert found == live  # the same candidates, exact integers, same order
    # from a later block: the market as of that block (every pool, even one that last changed
    # before it), then its changes: the same candidates as live over the window
    part, seen = replay(cfg, journal, from_block=50, to_block=99)
    assert [b for b, _ in seen] == list(range(50, 100))
    assert part == [c for c in live if 50 <= c.block <= 99]
    _, _, blocks = journal_market(journal, from_block=50, to_block=50)
    (first,) = list(blocks)
    assert set(first.reserves) == {p.address for p in market.pools}


def test_the_reader_opens_the_journal_read_only(tmp_path):
    market = NoiseMarket(n_tokens=4, seed=2)
    journal = tmp_path / "journal.sqlite"
    record(market, journal, 3)
    before = journal.read_bytes()
    _, _, blocks = journal_market(journal)
    next(blocks)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        blocks.gi_frame.f_locals["conn"].execute("DELETE FROM reserves")
    blocks.close()
    assert journal.read_bytes() == before


def test_the_reader_refuses_what_is_not_a_recorded_market(tmp_path):
    with pytest.raises(JournalMissing, match="does not exist"):
        journal_market(tmp_path / "nope.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a journal at all" * 10)
    with pytest.raises(JournalCorrupt, match="journal damaged"):
        journal_market(junk)
    empty = tmp_path / "empty.sqlite"
    with Journal(empty):
        pass
    with pytest.raises(MarketNotRecorded, match="no described pools"):
        journal_market(empty)


def test_backtest_command_exit_codes(tmp_path, capsys):
    config = tmp_path / "cfg.toml"
    config.write_text(
        "[chain]\nchain_id = 1\nrpc = ['http://127.0.0.1:8545']\n"
        "[[dex]]\nname = 'uni'\nfactory = '0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f'\n"
        "[tokens]\nbase = ['0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2']\n"
        f"[storage]\ndata_dir = '{tmp_path}'\n"
    )
    assert cli_main(["backtest", "--config", str(config)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_backtest_command_prints_the_summary(tmp_path, capsys):
    import json

    market = NoiseMarket(n_tokens=6, seed=5)
    journal = tmp_path / "j.sqlite"
    live = record(market, journal, 60)
    config = tmp_path / "cfg.toml"
    base = ", ".join(f"'{t}'" for t in market.base)
    config.write_text(
        "[chain]\nchain_id = 1\nrpc = ['http://127.0.0.1:8545']\n"
        "[[dex]]\nname = 'uni'\nfactory = '0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f'\n"
        f"[tokens]\nbase = [{base}]\n"
        "[risk]\nmax_trade_wei = 1000000000000000000000000000\n"
    )
    assert cli_main(["backtest", "--config", str(config), "--journal", str(journal), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert live and doc["blocks"] == 60
    # the contract of `backtest --json`: exact integers for amounts, floats for ratios
    for key in ("trades", "net_profit_wei", "gross_profit_wei", "gas_wei", "max_drawdown_wei"):
        assert isinstance(doc[key], int), key
    assert doc["net_profit_wei"] == doc["gross_profit_wei"] - doc["gas_wei"]
    assert 0 < doc["trades"] <= len(live)  # a fill consumes its opportunity: never once per block
    assert doc["sharpe"] is None  # a minute of blocks is not two days
    assert 0.0 <= doc["win_rate"] <= 1.0

    # the same market raced by rivals, ten seeds: never more trades, percentiles ordered
    argv = ["backtest", "--config", str(config), "--journal", str(journal), "--json"]
    assert cli_main([*argv, "--fill", "race", "--runs", "10", "--latency-ms", "150"]) == 0
    raced = json.loads(capsys.readouterr().out)
    assert raced["trades"] <= doc["trades"] and raced["fill"]["model"] == "competition"
    bands = list(raced["monte_carlo_net_profit_wei"].values())
    assert bands == sorted(bands) and len(bands) == 5

    # the report: a page and its four plots (matplotlib, the laptop-side extra)
    pytest.importorskip("matplotlib")
    assert cli_main([*argv, "--report", str(tmp_path / "report")]) == 0
    names = sorted(p.name for p in (tmp_path / "report").iterdir())
    assert names == [
        "drawdown.png",
        "equity.png",
        "index.html",
        "monte_carlo.png",
        "pnl_histogram.png",
    ]
    assert cli_main([*argv, "--csv", "0xnotapool=x.csv"]) == 2
    assert "is not described" in capsys.readouterr().err


GWEI = 10**9


def make_cfg(market: NoiseMarket, **strategy):
    return market.app_config(**strategy)


def test_a_head_without_changes_is_a_block_of_no_changes(tmp_path):
    """Live, the chain task sends a ReservesUpdated for every head (its base fee is new even
    when no pool moved), so the detector evaluates it; the reader gives those blocks too."""
    market = NoiseMarket(n_tokens=4, seed=3)
    journal = tmp_path / "journal.sqlite"
    with Journal(journal) as j:
        j.upsert_tokens(market.tokens)
        j.upsert_pools(
            [
                (i, p.address, p.dex, p.token0, p.token1, p.fee_bps)
                for i, p in enumerate(market.pools)
            ]
        )
        snap = market.snapshot()
        for n in range(1, 6):
            j.add_blocks([(BlockSeen(n, f"0x{n:064x}", "0x0", 100 + n, n * GWEI), 0.0)])
        for n in (1, 4):
            j.add_reserves([(n, 0, str(snap.reserves[market.pools[0].address][0] + n), "7")])
    _, _, blocks = journal_market(journal)
    got = [(b.number, len(b.reserves), b.base_fee, b.timestamp) for b in blocks]
    assert got == [(1, 1, GWEI, 101), (2, 0, 2 * GWEI, 102), (3, 0, 3 * GWEI, 103),
                   (4, 1, 4 * GWEI, 104), (5, 0, 5 * GWEI, 105)]  # fmt: skip
