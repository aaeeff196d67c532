"""``arb-appliance status``: what a careful operator sees with and without a supervisor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from eth_utils import to_checksum_address

from appliance.cli import main as cli_main
from appliance.config import StorageConfig
from appliance.events import ModeChanged, TradeStatus, TradeUpdated
from appliance.modes import Mode
from appliance.store.journal import Journal
from appliance.store.reader import status_document
from appliance.store.statefile import LiveState, RpcSlot, StateWriter

TOKEN = to_checksum_address("0x" + "ab" * 20)
FACTORY = to_checksum_address("0x" + "cd" * 20)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "arb-appliance.toml"
    path.write_text(
        f"""
[chain]
chain_id = 31337
rpc = ["http://127.0.0.1:8545"]

[[dex]]
name = "uni"
factory = "{FACTORY}"

[tokens]
base = ["{TOKEN}"]

[storage]
data_dir = "{tmp_path / "data"}"
runtime_dir = "{tmp_path / "run"}"
"""
    )
    return path


def _run(capsys, *argv):
    code = cli_main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_nothing_there_is_one_line_and_exit_2(config, capsys):
    code, out, err = _run(capsys, "status", "--config", str(config))
    assert code == 2 and out == ""
    assert (
        err.count("\n") == 1
        and "no status" in err
        and "state.bin" in err
        and "journal.sqlite" in err
    )


def test_nothing_there_as_json_says_unknown_and_not_running(config, capsys):
    code, out, _err = _run(capsys, "status", "--json", "--config", str(config))
    doc = json.loads(out)
    assert code == 2 and doc["mode"] == "unknown" and doc["supervisor"] == "not running"
    assert doc["sources"] == []


def test_a_running_supervisor(config, tmp_path, capsys):
    with Journal(tmp_path / "data" / "journal.sqlite") as j:
        j.upsert_trade(TradeUpdated("p", TradeStatus.PAPER, Mode.NORMAL, expected_profit=12))
        j.upsert_trade(
            TradeUpdated("m", TradeStatus.MINED, Mode.NORMAL, realized_profit=5, gas_cost=1)
        )
    live = LiveState(
        mode=Mode.NORMAL,
        leds={"green": "on", "yellow": "off", "red": "off"},
        head_block=77,
        head_timestamp=time.time() - 3,
        rpc=[RpcSlot("127.0.0.1:8545", True, 4.5)],
        breakers={"trade": "closed"},
        n_pools=9,
        opportunities=40,
        approved=2,
        rejected=38,
    )
    with StateWriter(tmp_path / "run" / "state.bin") as writer:
        writer.publish(live)
        code, out, _err = _run(capsys, "status", "--json", "--config", str(config))
        doc = json.loads(out)
        assert code == 0 and doc["supervisor"] == "running" and doc["pid"] == os.getpid()
        assert doc["mode"] == "NORMAL" and doc["kill_switch"] is False and doc["live"] is False
        assert doc["leds"] == {"green": "on", "yellow": "off", "red": "off"}
        assert doc["head_block"] == 77 and 2 <= doc["head_age_s"] < 60
        assert doc["rpc"] == [
            {
                "host": "127.0.0.1:8545",
                "healthy": True,
                "latency_ms": 4.5,
                "lagging": False,
                "breaker": "closed",
                "reason": "",
            }
        ]
        assert doc["pools"] == 9 and doc["opportunities"] == {
            "detected": 40,
            "approved": 2,
            "rejected": 38,
        }
        assert doc["trades"]["paper"] == 1 and doc["trades"]["mined"] == 1
        assert doc["pnl_today"] == 12  # paper mode: the paper P&L
        assert doc["pnl_today_detail"] == {"live": 4, "paper": 12, "gas": 1}
        assert doc["breakers"] == {"trade": "closed"}
        code, out, _err = _run(capsys, "status", "--config", str(config))
        assert code == 0 and "NORMAL (paper), supervisor running" in out and "#77" in out
        assert "127.0.0.1:8545" in out and max(len(line) for line in out.splitlines()) <= 80


def test_journal_only_after_a_crash_shows_the_last_mode_and_exit_3(config, tmp_path, capsys):
    with Journal(tmp_path / "data" / "journal.sqlite") as j:
        j.add_mode_change(
            ModeChanged(time.time(), Mode.NORMAL, Mode.EMERGENCY, "pressed", "kill_switch")
        )
    (tmp_path / "data" / "emergency.latch").write_text("{}")
    code, out, _err = _run(capsys, "status", "--json", "--config", str(config))
    doc = json.loads(out)
    assert code == 3 and doc["mode"] == "EMERGENCY" and doc["kill_switch"] is True
    assert doc["supervisor"] == "not running" and doc["sources"] == ["journal"]


def test_a_dead_writer_is_not_running(tmp_path):
    cfg = StorageConfig(data_dir=tmp_path / "d", runtime_dir=tmp_path / "r")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    with StateWriter(tmp_path / "r" / "state.bin") as writer:
        writer.publish(LiveState(pid=int(dead.stdout)))
        doc = status_document(cfg)
        assert doc["supervisor"] == "not running" and doc["sources"] == ["state_file"]
        writer.publish(LiveState(), now=time.time() - 3600)  # alive but silent for an hour
        assert status_document(cfg)["supervisor"] == "stale"


def test_read_side_imports_no_trading_chain_hw_or_ui_code():
    probe = (
        "import sys, appliance.store.reader, appliance.store.statefile, appliance.store\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('trio', 'textual', 'hw', 'web3', 'httpx', 'gpiozero')\n"
        "       or m.startswith(('appliance.chain', 'appliance.execution', 'appliance.risk', 'appliance.market', 'appliance.strategy', 'appliance.store.writer'))]\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_status_pnl_today_is_in_the_reference_token_with_its_unit(config, tmp_path):
    from appliance.config import load_config
    from appliance.events import TokenInfo

    usdc = to_checksum_address("0x" + "ee" * 20)
    weth_value, usdc_value = 4 * 10**15 - 3 * 10**14, 2 * 10**15 - 3 * 10**14
    with Journal(tmp_path / "data" / "journal.sqlite") as j:
        j.upsert_tokens([TokenInfo(TOKEN, "WETH", 18), TokenInfo(usdc, "USDC", 6)])
        j.upsert_trade(
            TradeUpdated(
                "w",
                TradeStatus.PAPER,
                Mode.NORMAL,
                realized_profit=4 * 10**15,
                gas_cost=3 * 10**14,
                base_token=TOKEN,
                value_ref=weth_value,
            )
        )
        j.upsert_trade(
            TradeUpdated(
                "u",
                TradeStatus.PAPER,
                Mode.NORMAL,
                realized_profit=6_000_000,  # 6 USDC
                gas_cost=3 * 10**14,
                base_token=usdc,
                value_ref=usdc_value,
            )
        )
    doc = status_document(load_config(config))  # reference token: tokens.base[0] (no native)
    assert doc["pnl_today"] == weth_value + usdc_value
    assert doc["pnl_unit"] == "WETH" and doc["pnl_decimals"] == 18
