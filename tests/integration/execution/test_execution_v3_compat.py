"""The execution task refuses, at start and in one line, an executor it cannot trade through: one
of another version (no ``v3_factory()``), none at all, or one trusting another V3 factory than
the config's ``uniswap_v3`` DEX; and the executor reverts calldata of an ABI it does not speak
instead of succeeding as a no-op."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import trio
from eth_utils import keccak
from exec_helpers import exec_config, start_execution

from appliance.chain.rpc import RpcClient
from appliance.config import load_config
from appliance.errors import UserError
from appliance.events import OrderApproved, TradeUpdated
from appliance.execution import ExecutorIncompatible, deploy_executor, load_signer, run_execution

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(180)]


async def _start(cfg, latch) -> None:
    """run_execution's start; returns once it is running (then stops it)."""
    orders_send, orders_recv = trio.open_memory_channel[OrderApproved](1)
    results_send, _results_recv = trio.open_memory_channel[TradeUpdated](8)

    async def write_ahead(_update) -> None:
        return None

    async with RpcClient(cfg.chain.rpc[0]) as client, trio.open_nursery() as nursery:
        await start_execution(
            nursery, cfg, client, orders_recv, results_send, latch=latch, write_ahead=write_ahead
        )
        await orders_send.aclose()


async def _refusal(cfg, latch) -> ExecutorIncompatible:
    _orders_send, orders_recv = trio.open_memory_channel[OrderApproved](1)
    results_send, _ = trio.open_memory_channel[TradeUpdated](8)
    async with RpcClient(cfg.chain.rpc[0]) as client:
        with pytest.raises(ExecutorIncompatible) as info:
            await run_execution(
                cfg, client, orders_recv, results_send, latch=latch, write_ahead=None
            )
    assert isinstance(info.value, UserError)  # one line, exit 2 at the command line
    assert "\n" not in str(info.value)
    return info.value


async def test_the_right_executor_starts(v3_net, latch):
    dn, inv, _ = v3_net
    await _start(exec_config(dn, inv), latch)


@pytest.mark.parametrize("what", ["an account", "another contract"])
async def test_an_address_that_is_no_executor_of_this_version_is_refused(v3_net, latch, what):
    dn, _, _ = v3_net
    address = (
        dn.accounts["competitor"].address if what == "an account" else dn.dex("uniswap").router
    )
    error = await _refusal(exec_config(dn, address), latch)
    assert address in str(error) and "not an executor of this version" in str(error)
    assert "deploy-executor" in str(error)


async def test_an_executor_trusting_no_or_another_v3_factory_is_refused(v3_net, latch):
    dn, _, _ = v3_net
    signer = load_signer(dn.key_file)
    cfg = load_config(dn.config_path)
    await dn.set_automine(True)
    try:
        async with RpcClient(dn.rpc) as client:
            v2_only = await deploy_executor(client, signer, cfg.execution)
            other = await deploy_executor(client, signer, cfg.execution, v3_factory=dn.weth)
    finally:
        await dn.set_automine(False)
    error = await _refusal(exec_config(dn, v2_only), latch)
    assert "trusts no V3 factory" in str(error) and dn.v3.factory in str(error)
    error = await _refusal(exec_config(dn, other), latch)
    assert f"trusts V3 factory {dn.weth}" in str(error)


async def test_calldata_of_another_abi_reverts_instead_of_doing_nothing(v3_net):
    """The pre-V3 ``execute`` (hops without kind) sent to this executor: a revert, not a
    silent success that would burn gas and report nothing."""
    dn, inv, _ = v3_net
    sig = "execute(address,uint256,uint256,(address,bool,uint256)[],bool,uint256)"
    old = "0x" + keccak(text=sig)[:4].hex() + "00" * 32 * 6
    with pytest.raises(Exception, match="executor: unknown function"):
        await dn.call(
            "eth_call", [{"from": dn.accounts["appliance"].address, "to": inv, "data": old}]
        )
    receipt = await dn.send_tx("deployer", inv, "0x", value=10**15)  # plain ETH still arrives
    assert int(receipt["status"], 16) == 1
    # within the 2,300-gas stipend WETH9.withdraw forwards with the ETH it unwraps
    assert int(receipt["gasUsed"], 16) - 21_000 < 2_300


def test_run_refuses_an_executor_of_another_version_in_one_line(v3_net, tmp_path):
    """``arb-appliance run`` as a process: exit 2 and one line naming the executor, no trace."""
    dn, _, _ = v3_net
    stranger = dn.accounts["competitor"].address
    text = dn.config_path.read_text()
    text = text.replace("[account]\n", f'[account]\nexecutor = "{stranger}"\n', 1)
    text = re.sub(r'data_dir = ".*"', f'data_dir = "{tmp_path / "data"}"', text)
    text = re.sub(r'runtime_dir = ".*"', f'runtime_dir = "{tmp_path / "run"}"', text)
    config = tmp_path / "arb-appliance.toml"
    config.write_text(text)
    env = dict(os.environ, GPIOZERO_PIN_FACTORY="mock")
    env.pop("NOTIFY_SOCKET", None)
    proc = subprocess.run(
        [sys.executable, "-m", "appliance", "run", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if "not an executor of this version" in line]
    assert len(lines) == 1 and stranger in lines[0], proc.stderr
