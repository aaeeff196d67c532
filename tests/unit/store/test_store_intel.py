"""Market intelligence in the journal: rows written by the store's writer side, read back by
``competitors`` and ``why`` (real files, the real CLI), fates derived exactly."""

from __future__ import annotations

import json
import time

import pytest

from appliance.cli import main as cli_main
from appliance.events import ArbitrageSeen, MarketIntelSeen, TokenInfo, TradeStatus, TradeUpdated
from appliance.modes import Mode
from appliance.store.intel_queries import add_intel, capture, leaderboard, opportunity_fates
from appliance.store.journal import Journal

WETH = "0xC0C0c0c0C0C0c0c0c0C0c0C0C0C0C0C0C0C0c0c0"
P1, P2, P3 = ("0x" + f"{i}" * 40 for i in (1, 2, 3))
RIVAL, SANDWICHER, US = "0x" + "a" * 40, "0x" + "b" * 40, "0x" + "e" * 40
E18 = 10**18


def opportunity(i, block, pools, decision="candidate", reason="", order_id=None, gross=10**16):
    return {
        "id": i,
        "at": time.time(),
        "block": block,
        "base_token": WETH,
        "path": json.dumps(pools),
        "amount_in": str(E18),
        "amount_out": str(E18 + gross),
        "gross_profit": str(gross),
        "net_profit": str(gross - 10**15),
        "gas_estimate": 200_000,
        "gas_cost": str(10**15),
        "decision": decision,
        "reason": reason,
        "detail": "",
        "order_id": order_id,
    }


def arb(block, tx, kind, who, pools, profit, gas=10**15, victims=()):
    return ArbitrageSeen(
        block, tx, kind, who, None, WETH, profit, gas, tuple(pools), tuple(victims)
    )


@pytest.fixture
def journal_cfg(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with Journal(data / "journal.sqlite") as j:
        j.upsert_tokens([TokenInfo(WETH, "WETH", 18)])
        j.add_opportunities(
            [
                opportunity(1, 100, [P1, P2], "approved", order_id="o1"),  # ours, paper
                opportunity(2, 110, [P2, P3]),  # taken by the rival at 111
                opportunity(3, 120, [P1, P3], "rejected", "min_profit"),  # vanished
                opportunity(4, 130, [P3, P1], "rejected", "max_trade_wei"),  # taken at 133
                opportunity(5, 140, [P1, P2]),  # the rival comes too late (144)
            ]
        )
        j.upsert_trade(
            TradeUpdated(
                "o1", TradeStatus.PAPER, Mode.NORMAL, realized_profit=3 * 10**16, base_token=WETH
            )
        )
        with j.transaction():
            add_intel(
                j.conn,
                MarketIntelSeen(
                    111, (arb(111, "0x11", "arbitrage", RIVAL, [P2, P3], 4 * 10**16),), 3
                ),
            )
            add_intel(
                j.conn,
                MarketIntelSeen(133, (arb(133, "0x33", "arbitrage", RIVAL, [P3], -(10**15)),), 0),
            )
            add_intel(
                j.conn,
                MarketIntelSeen(
                    135,
                    (
                        arb(
                            135, "0x35", "sandwich", SANDWICHER, [P1], 2 * 10**16, victims=("0x34",)
                        ),
                    ),
                    1,
                ),
            )
            add_intel(
                j.conn,
                MarketIntelSeen(144, (arb(144, "0x44", "arbitrage", RIVAL, [P1, P2], 10**16),), 0),
            )
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(
        "[chain]\nchain_id = 1\nrpc = ['http://127.0.0.1:8545']\n"
        "[[dex]]\nname = 'uni'\nfactory = '0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f'\n"
        f"[tokens]\nbase = ['{WETH}']\n[storage]\ndata_dir = '{data}'\n"
    )
    return data / "journal.sqlite", cfg


def test_fates_leaderboard_and_capture(journal_cfg):
    path, _ = journal_cfg
    with Journal(path) as j:
        fates = opportunity_fates(j.conn)
        board = leaderboard(j.conn)
        rates = capture(j.conn)
    assert fates["opportunities"] == 5
    assert fates["fates"] == {"ours:paper": 1, "taken": 2, "rejected:min_profit": 1, "vanished": 1}
    assert fates["rejections"] == {"min_profit": 1, "max_trade_wei": 1}
    assert [(t["block"], t["tx_hash"], t["we_had"]) for t in fates["taken"]] == [
        (110, "0x11", "candidate"),
        (130, "0x33", "rejected:max_trade_wei"),
    ]
    top = board[0]
    assert (top["searcher"], top["arbitrages"], top["losing"]) == (RIVAL, 3, 1)
    assert top["profit_wei"] == 4 * 10**16 - 10**15 + 10**16  # exact, losing one included
    assert board[1]["searcher"] == SANDWICHER and board[1]["sandwiches"] == 1
    assert rates[WETH]["ours_wei"] == 3 * 10**16
    assert rates[WETH]["others_wei"] == 4 * 10**16 - 10**15 + 10**16
    assert rates[WETH]["rate"] == pytest.approx(3 / (3 + 4.9))


def test_competitors_and_why_commands(journal_cfg, capsys):
    _, cfg = journal_cfg
    assert cli_main(["competitors", "--config", str(cfg), "--json", "--since", "1h"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (first, *_) = doc["arbitrages"]  # newest first
    assert first["tx_hash"] == "0x44" and isinstance(first["profit_wei"], int)
    assert set(first) >= {
        "tx_hash",
        "block",
        "searcher",
        "contract",
        "start_token",
        "profit_wei",
        "gas_wei",
        "pools",
    }
    assert cli_main(["competitors", "--config", str(cfg)]) == 0
    text = capsys.readouterr().out
    assert "0.049000 WETH" in text and "capture (WETH): 38.0%" in text
    assert cli_main(["why", "--config", str(cfg)]) == 0
    text = capsys.readouterr().out
    assert "5 opportunities" in text and "min_profit" in text and "taken by others" in text
    assert cli_main(["why", "--config", str(cfg), "--since", "yesterday"]) == 2
    assert "--since takes a duration" in capsys.readouterr().err


def test_a_missing_journal_is_one_line(tmp_path, capsys):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(
        "[chain]\nchain_id = 1\nrpc = ['http://127.0.0.1:8545']\n"
        "[[dex]]\nname = 'uni'\nfactory = '0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f'\n"
        f"[tokens]\nbase = ['{WETH}']\n[storage]\ndata_dir = '{tmp_path}'\n"
    )
    assert cli_main(["why", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "journal" in err


def test_the_store_writer_journals_intel_and_a_reorg_forgets_replaced_blocks(tmp_path):
    from appliance.store.recorder import Recorder
    from appliance.store.statefile import StateWriter

    with Journal(tmp_path / "journal.sqlite") as j, StateWriter(tmp_path / "state.bin") as state:
        rec = Recorder(j, state)
        for block in (10, 11, 12):
            seen = (arb(block, f"0x{block:x}", "arbitrage", RIVAL, [P1, P2], 10**15 * block),)
            rec.handle(MarketIntelSeen(block, seen, 2))
        rec.handle(MarketIntelSeen(13, (), 5))  # a block of plain swaps writes nothing
        rec.commit(rec.take_batch())
        rows = j.conn.execute("SELECT block, profit FROM arbitrages ORDER BY id").fetchall()
        assert rows == [(10, str(10**16)), (11, str(11 * 10**15)), (12, str(12 * 10**15))]
        j.rollback_above(10)
        assert j.conn.execute("SELECT block FROM arbitrages").fetchall() == [(10,)]
        assert j.apply_retention(1.0, now=time.time() + 2 * 86400) >= 1
        assert j.conn.execute("SELECT count(*) FROM arbitrages").fetchone()[0] == 0
