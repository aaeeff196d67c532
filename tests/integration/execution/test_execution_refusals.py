"""A node that refuses a send is an answer, not an unknown outcome (issue 14.5).

Through the supervisor's real RPC pool (``open_rpc_pool``) against Anvil producing the real
refusals: the account drained of ETH (``anvil_setBalance``), its nonce moved on
(``anvil_setNonce``), its nonce taken by a pooled transaction paying more, and the same
transaction sent twice. Each refusal is classified, the nonce released or resynced, the trade
dropped with the reason in the journal, and no tracker task is left behind (``run_execution``
returns once its orders channel is closed).
"""

from __future__ import annotations

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, plant

from appliance.chain import open_rpc_pool
from appliance.chain.errors import ChainError
from appliance.events import TradeStatus
from appliance.execution import SendOutcome, classify_send_error, load_signer

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(120)]


async def _pending_nonce(dn) -> int:
    return int(
        await dn.call("eth_getTransactionCount", [dn.accounts["appliance"].address, "pending"]), 16
    )


def _self_transfer(dn, nonce: int, *, tip_gwei: int, chain_id: int):
    signer = load_signer(dn.key_file)
    return signer.sign(
        {
            "chainId": chain_id,
            "nonce": nonce,
            "to": signer.address,
            "value": 0,
            "data": b"",
            "gas": 21_000,
            "maxFeePerGas": 2 * tip_gwei * 10**9,
            "maxPriorityFeePerGas": tip_gwei * 10**9,
        }
    )


async def _refused(dn, journal, latch, inv, before_send) -> tuple:
    """Run one order through run_execution on the pool; ``before_send`` changes the chain after
    the executor started (its nonce manager is set) and before the order. Returns (final
    update, the pipeline, the nonce before)."""
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    cfg = exec_config(dn, inv)
    nonce_before = await _pending_nonce(dn)
    h = Harness(cfg, journal, latch)
    async with open_rpc_pool(cfg.chain) as pool:
        with trio.fail_after(60):  # a tracker left behind would keep run_execution alive
            async with trio.open_nursery() as nursery:
                pipe = await h.start(nursery, rpc=pool)
                await before_send(pipe, nonce_before)
                order = await h.send_order(cand)
                final = await h.until({TradeStatus.SENT, TradeStatus.DROPPED})
                await h.orders_send.aclose()
    row = journal.trade(order.order_id)
    assert (row["status"], row["reason"]) == ("dropped", final.reason)
    return final, pipe, nonce_before


async def test_insufficient_funds_drops_and_releases_the_nonce(chain, journal, latch):
    dn, inv, _ = chain
    sender = dn.accounts["appliance"].address

    async def drain(pipe, nonce) -> None:
        await dn.call("anvil_setBalance", [sender, hex(10**9)])  # far below gas x max fee

    final, pipe, nonce_before = await _refused(dn, journal, latch, inv, drain)
    assert final.status is TradeStatus.DROPPED
    assert final.reason.startswith("send_refused: insufficient_funds"), final.reason
    assert pipe.nonces.next == nonce_before == await _pending_nonce(dn)
    assert pipe.stats.refused == 1


async def test_nonce_too_low_drops_and_resyncs_the_nonce(chain, journal, latch):
    dn, inv, _ = chain
    sender = dn.accounts["appliance"].address

    async def move_nonce(pipe, nonce) -> None:
        await dn.call("anvil_setNonce", [sender, hex(nonce + 3)])

    final, pipe, nonce_before = await _refused(dn, journal, latch, inv, move_nonce)
    assert final.reason.startswith("send_refused: nonce_too_low"), final.reason
    assert pipe.nonces.next == nonce_before + 3 == await _pending_nonce(dn)  # resynced


async def test_replacement_underpriced_drops_and_resyncs_the_nonce(chain, journal, latch):
    dn, inv, _ = chain
    chain_id = int(await dn.call("eth_chainId"), 16)

    async def take_nonce(pipe, nonce) -> None:  # a pooled transaction of ours pays far more
        raw = _self_transfer(dn, nonce, tip_gwei=150, chain_id=chain_id).raw
        await dn.call("eth_sendRawTransaction", ["0x" + raw.hex()])

    final, pipe, nonce_before = await _refused(dn, journal, latch, inv, take_nonce)
    assert final.reason.startswith("send_refused: replacement_underpriced"), final.reason
    assert pipe.nonces.next == nonce_before + 1 == await _pending_nonce(dn)


async def test_the_same_transaction_twice_is_known_not_refused(chain):
    dn, _, _ = chain
    chain_id = int(await dn.call("eth_chainId"), 16)
    signed = _self_transfer(dn, await _pending_nonce(dn), tip_gwei=2, chain_id=chain_id)
    cfg = exec_config(dn, dn.accounts["appliance"].address)
    async with open_rpc_pool(cfg.chain) as pool:
        await pool.send_raw_transaction(signed.raw)
        with pytest.raises(ChainError) as info:
            await pool.send_raw_transaction(signed.raw)
    refusal = classify_send_error(info.value)
    assert refusal.outcome is SendOutcome.KNOWN, refusal
