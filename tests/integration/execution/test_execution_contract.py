"""The executor on the real chain: owner-only entry points, the guarded flash callback, withdraw,
paper mode (simulation is the fill) and ``arb-appliance deploy-executor``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, plant

from appliance.devnet._abi import calldata
from appliance.events import TradeStatus
from appliance.execution.calldata import encode_execute, encode_withdraw

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(180)]


async def _call_error(dn, sender: str, to: str, data: str) -> str:
    try:
        await dn.call("eth_call", [{"from": sender, "to": to, "data": data}, "latest"])
    except Exception as exc:  # the devnet's RPC error carries the revert message
        return str(exc)
    return ""


async def test_only_the_owner_executes_and_withdraws(chain):
    dn, inv, _ = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    stranger = dn.accounts["competitor"].address
    head = await dn.block_number()
    data = "0x" + encode_execute(cand, min_profit=1, flash=False, deadline=head + 1).hex()
    assert "not owner" in await _call_error(dn, stranger, inv, data)
    assert "not owner" in await _call_error(
        dn, stranger, inv, "0x" + encode_withdraw(dn.weth, stranger, 1).hex()
    )
    assert await _call_error(dn, dn.accounts["appliance"].address, inv, data) == ""


@pytest.mark.parametrize("funding", ["inventory", "flash"])
async def test_a_trade_mined_after_its_deadline_block_reverts(chain, funding):
    """A signed trade that waited past its deadline (mined two blocks late) reverts on chain,
    whatever the state: it can never execute later. Mined in time, the same trade pays."""
    dn, inv, flash = chain
    executor = inv if funding == "inventory" else flash
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    head = await dn.block_number()
    late = encode_execute(cand, min_profit=1, flash=funding == "flash", deadline=head + 1)
    await dn.mine()
    await dn.mine()  # the pending block is now head + 3 > deadline
    receipt = await dn.send_tx("appliance", executor, "0x" + late.hex(), gas=600_000, check=False)
    assert int(receipt["status"], 16) == 0
    assert int(receipt["blockNumber"], 16) > head + 1
    reason = await _call_error(dn, dn.accounts["appliance"].address, executor, "0x" + late.hex())
    assert "deadline passed" in reason
    head = await dn.block_number()
    fresh = encode_execute(cand, min_profit=1, flash=funding == "flash", deadline=head + 1)
    receipt = await dn.send_tx("appliance", executor, "0x" + fresh.hex(), gas=600_000)
    assert int(receipt["status"], 16) == 1


async def test_flash_callback_refuses_strangers_and_unexpected_pairs(chain):
    dn, _, flash = chain
    stranger = dn.accounts["competitor"].address
    cb = calldata("uniswapV2Call(address,uint256,uint256,bytes)", flash, 1, 0, b"")
    assert "unexpected pair" in await _call_error(dn, stranger, flash, cb)
    pair = dn.pool("uniswap", "WETH", "USDC").address  # a real pair, but no flash swap in flight
    assert "unexpected pair" in await _call_error(dn, pair, flash, cb)


async def test_owner_withdraws_tokens_and_eth(chain):
    dn, inv, _ = chain
    await dn.set_automine(True)
    owner = dn.accounts["appliance"].address
    before = await dn.balance("WETH", owner)
    await dn.send_tx("appliance", inv, "0x" + encode_withdraw(dn.weth, owner, 10**18).hex())
    assert await dn.balance("WETH", owner) == before + 10**18
    await dn.send_tx("deployer", inv, "0x", value=5 * 10**17)  # the executor accepts ETH
    assert await dn.balance("ETH", inv) == 5 * 10**17
    receipt = await dn.send_tx(
        "appliance", inv, calldata("withdraw_eth(address,uint256)", owner, 5 * 10**17)
    )
    assert int(receipt["status"], 16) == 1 and await dn.balance("ETH", inv) == 0


@pytest.mark.parametrize("funding", ["inventory", "flash"])
async def test_paper_mode_fills_from_the_simulation_and_never_sends(chain, journal, latch, funding):
    dn, inv, flash = chain
    executor = inv if funding == "inventory" else flash
    await plant(dn, 3)
    cand = await make_candidate(dn, 3)
    nonce = await dn.call("eth_getTransactionCount", [dn.accounts["appliance"].address, "pending"])
    h = Harness(exec_config(dn, executor, live=False, funding=funding), journal, latch)
    async with trio.open_nursery() as nursery:
        await h.start(nursery)
        order = await h.send_order(cand)
        paper = await h.next_update()
        await h.orders_send.aclose()
    assert paper.status is TradeStatus.PAPER, paper.reason
    assert paper.realized_profit == cand.gross_profit  # the exact on-chain arithmetic
    assert paper.tx_hash is None
    assert h.write_ahead_rows == [paper]  # journaled before it was reported
    assert 100_000 < paper.gas_used < 400_000 and paper.gas_cost > 0
    assert paper.net_profit == paper.realized_profit - paper.gas_cost
    assert (
        await dn.call("eth_getTransactionCount", [dn.accounts["appliance"].address, "pending"])
        == nonce
    )
    pool = await dn.call("txpool_content")
    assert not pool.get("pending"), pool
    assert journal.trade(order.order_id)["status"] == "paper"


def test_deploy_executor_command_prints_the_address_last(exec_net):
    dn, _, _ = exec_net
    trio.run(dn.set_automine, True)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "appliance", "deploy-executor", "--config", str(dn.config_path)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(Path.cwd())},
        )
    finally:
        trio.run(dn.set_automine, False)
    assert out.returncode == 0, out.stderr
    address = out.stdout.strip().splitlines()[-1]
    assert address.startswith("0x") and len(address) == 42
    code = trio.run(dn.call, "eth_getCode", [address, "latest"])
    assert len(code) > 1000
    owner = trio.run(dn.eth_call, address, calldata("owner()"))
    assert owner[-40:].lower() == dn.accounts["appliance"].address[2:].lower()
    key = dn.key_file.read_text().strip()
    assert key[2:] not in out.stdout + out.stderr


def test_deploy_executor_refuses_an_unsafe_key_file(exec_net, tmp_path):
    dn, _, _ = exec_net
    key = tmp_path / "k.key"
    key.write_text(dn.key_file.read_text())
    key.chmod(0o644)
    cfg = tmp_path / "c.toml"
    cfg.write_text(dn.config_path.read_text().replace(str(dn.key_file), str(key)))
    out = subprocess.run(
        [sys.executable, "-m", "appliance", "deploy-executor", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "0644" in out.stderr
