"""``arb-appliance status --json`` counts a paper fill while ``arb-appliance run`` runs (#14.11).

A real ``run`` process (paper mode, gpiozero's mock pins) on the devnet's two-DEX market, with
the bulk journal commit stretched to its maximum (300 s): a trade row must still be committed at
once (the config's promise: "trades and mode changes at once"), so the status of the running
supervisor counts the paper fill the journal holds. Before the fix the fill sat in the store's
batch, and ``status`` said ``paper: 0`` until the supervisor stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parent))

from paper_helpers import ETH, balance_market, rows, two_dex_config
from sup_helpers import start_run, status_json

from appliance.config import load_config

pytestmark = pytest.mark.devnet


async def test_status_counts_a_paper_fill_while_the_supervisor_runs(devnet, tmp_path):
    dn = devnet
    await balance_market(dn)
    config = await two_dex_config(dn, tmp_path, live=False, commit_interval_s=300)
    cfg = load_config(config)
    env = dict(os.environ, GPIOZERO_PIN_FACTORY="mock")
    env.pop("NOTIFY_SOCKET", None)
    proc = start_run(config, env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with trio.fail_after(90):
            while True:
                doc = await trio.to_thread.run_sync(status_json, config)
                if doc["supervisor"] == "running" and doc["mode"] == "NORMAL":
                    break
                await dn.mine(1)
                await trio.sleep(0.3)
        await dn.swap("uniswap", "WETH", "USDC", 40 * ETH, account="competitor")
        with trio.fail_after(60):  # far below the 300 s of the bulk commit
            while True:
                doc = await trio.to_thread.run_sync(status_json, config)
                if doc["trades"]["paper"] >= 1:
                    break
                await trio.sleep(0.3)
                await dn.mine(1)  # the candidate is offered again each block until sized
        assert doc["supervisor"] == "running"
        assert doc["trades"]["paper"] == 1
        assert doc["risk"]["var95"] is None  # one trade: VaR not measured (not a made-up 0)
        with trio.fail_after(60):  # prices are fed every block: 5 returns measure the regime
            while doc["risk"]["regime"] not in ("low", "medium", "high"):
                await dn.mine(1)
                await trio.sleep(0.3)
                doc = await trio.to_thread.run_sync(status_json, config)
        assert rows(cfg, "SELECT count(*) FROM trades WHERE status = 'paper'")[0][0] == 1
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        code = await trio.to_thread.run_sync(lambda: proc.wait(timeout=30))
    out = proc.stdout.read()
    assert code == 0, out
    assert "Traceback" not in out
    stopped = await trio.to_thread.run_sync(status_json, config)
    assert stopped["supervisor"] == "not running"
    assert stopped["trades"]["paper"] == 1
