"""SIGKILL after the send and before the receipt: the restarted executor reconciles the trade
from the chain, and the nonce continues with no gap and no reuse."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, plant

from appliance.events import TradeStatus
from appliance.store.journal import Journal

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(180)]
CHILD = Path(__file__).parent / "exec_kill_child.py"


def _live_toml(dn, executor: str, data_dir: Path) -> Path:
    text = dn.config_path.read_text()
    text = text.replace('mode = "paper"', 'mode = "live"')
    text = text.replace("[account]\n", f'[account]\nexecutor = "{executor}"\n', 1)
    text += '\n[execution]\nfunding = "inventory"\nreceipt_poll_s = 0.05\n'
    path = data_dir / "live.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("mined_before_restart", [True, False])
async def test_sigkill_after_send_then_restart_reconciles(
    chain, tmp_path, latch, mined_before_restart
):
    dn, inv, _ = chain
    appliance = dn.accounts["appliance"].address
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    cand_file = tmp_path / "cand.json"
    cand_file.write_text(json.dumps(dataclasses.asdict(cand)))
    journal_path = tmp_path / "journal.sqlite"
    before = await dn.balance("WETH", inv)

    proc = await trio.lowlevel.open_process(
        [
            sys.executable,
            str(CHILD),
            str(_live_toml(dn, inv, tmp_path)),
            str(journal_path),
            str(cand_file),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        line = b""
        with trio.fail_after(60):
            while not line.endswith(b"\n"):
                chunk = await proc.stdout.receive_some(256)
                assert chunk, "child exited before sending"
                line += chunk
    finally:
        proc.kill()  # SIGKILL: no cleanup, no receipt tracking
        await proc.wait()
    status, tx_hash, nonce = line.decode().split()
    nonce = int(nonce)
    assert status == "sent" and proc.returncode == -9
    assert await dn.call("eth_getTransactionReceipt", [tx_hash]) is None  # not mined yet
    if mined_before_restart:
        await dn.mine()

    with Journal(journal_path) as journal:
        pending = journal.pending_trades()
        assert [(p["order_id"], p["tx_hash"], p["nonce"]) for p in pending] == [
            ("killed-1", tx_hash, nonce)
        ]
        h = Harness(exec_config(dn, inv), journal, latch)
        async with trio.open_nursery() as nursery:
            pipe = await h.start(nursery, pending=pending)
            if not mined_before_restart:
                assert pipe.nonces.next == nonce + 1  # the pooled transaction holds its nonce
                await dn.mine()
            settled = await h.until({TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED})
            assert (settled.order_id, settled.status, settled.tx_hash) == (
                "killed-1",
                TradeStatus.MINED,
                tx_hash,
            )
            after_first = await dn.balance("WETH", inv)
            assert after_first - before == settled.realized_profit == cand.gross_profit
            assert int(journal.trade("killed-1")["realized_profit"]) == after_first - before
            assert pipe.nonces.next == nonce + 1

            # The next trade takes the next nonce: no gap, no reuse.
            await plant(dn, 3)
            await h.send_order(await make_candidate(dn, 3))
            sent = await h.until({TradeStatus.SENT, TradeStatus.DROPPED})
            assert sent.status is TradeStatus.SENT and sent.nonce == nonce + 1
            await dn.mine()
            final = await h.until({TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED})
            await h.orders_send.aclose()
        assert final.status is TradeStatus.MINED
        assert journal.pending_trades() == []
    assert int(await dn.call("eth_getTransactionCount", [appliance, "latest"]), 16) == nonce + 2


async def test_killed_between_write_ahead_and_send_frees_the_nonce(chain, journal, latch):
    """A journaled SIGNED row the node never saw is dropped; its nonce is reused, not skipped."""
    from appliance.events import TradeUpdated
    from appliance.modes import Mode

    dn, inv, _ = chain
    appliance = dn.accounts["appliance"].address
    count = int(await dn.call("eth_getTransactionCount", [appliance, "pending"]), 16)
    ghost = TradeUpdated(
        order_id="ghost",
        status=TradeStatus.SIGNED,
        mode=Mode.NORMAL,
        tx_hash="0x" + "ab" * 32,
        nonce=count,
        block_sent=1,
    )
    journal.upsert_trade(ghost)
    h = Harness(exec_config(dn, inv), journal, latch)
    async with trio.open_nursery() as nursery:
        pipe = await h.start(nursery, pending=journal.pending_trades())
        dropped = await h.next_update()
        await h.orders_send.aclose()
    assert (dropped.order_id, dropped.status) == ("ghost", TradeStatus.DROPPED)
    assert dropped.reason == "never reached the node (found after restart)"
    assert pipe.nonces.next == count
    assert journal.trade("ghost")["status"] == "dropped"
