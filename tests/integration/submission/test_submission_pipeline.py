"""Private and bundle submission through the real pipeline (run_execution) on Anvil, with relay
processes of our own (relay_server.py) and a recording proxy as the public endpoint.

What is proven: a bundle goes to every relay (simulated first, signed by the searcher identity,
target head + 1) and never to the public endpoint; it is resubmitted per block and never for a
target past its deadline; not included, it is dropped and its nonce stays unused; a failing relay
is skipped; the executor pays the builder only when the trade succeeds; the latch stops a
resubmission; a private send in flight keeps its nonce across a restart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import trio
from eth_abi import decode
from eth_utils import keccak
from relay_server import control
from submission_helpers import (
    SEARCHER_KEY,
    RelayHarness,
    RpcProxy,
    exec_config,
    make_candidate,
    plant,
    relay_processes,
    write_searcher_key,
)

from appliance.config import AppConfig
from appliance.devnet import Devnet
from appliance.events import TradeStatus
from appliance.execution import load_signer
from appliance.execution.bids import coinbase_bid
from appliance.execution.paying import encode_execute_paying
from appliance.safety import SafetyLatch
from appliance.store.journal import Journal
from appliance.submission.identity import SearcherIdentity

pytestmark = pytest.mark.devnet

FINAL = {TradeStatus.MINED, TradeStatus.REVERTED, TradeStatus.DROPPED}
COINBASE_PAID = "0x" + keccak(text="CoinbasePaid(address,uint256)").hex()
IDENTITY = SearcherIdentity(SEARCHER_KEY).address


@dataclasses.dataclass
class Submitting:
    """One scenario: the public endpoint (a recording proxy), relay processes of our own, the
    pipeline's config through both, and a client for the relays' control calls."""

    dn: Devnet
    proxy: RpcProxy
    relays: list
    cfg: AppConfig
    http: httpx.AsyncClient
    journal: Journal
    latch: SafetyLatch

    def harness(self) -> RelayHarness:
        return RelayHarness(self.cfg, self.journal, self.latch)

    async def start(self, nursery) -> tuple[RelayHarness, object]:
        """The pipeline started on a fresh harness: (harness, pipeline)."""
        harness = self.harness()
        return harness, await harness.start(nursery)

    async def control(self, relay, method: str, *params):
        return await control(self.http, relay.url, method, *params)

    async def relay_log(self, relay, method: str | None = None) -> list[dict]:
        """What ``relay`` received (only ``method`` requests if given), in order."""
        log = (await self.control(relay, "relay_log"))["log"]
        return [e for e in log if method is None or e["method"] == method]

    async def wait_sends(self, relay, n: int, method: str = "eth_sendBundle") -> list[dict]:
        """Wait (no timing assumption) until ``relay`` has received ``n`` ``method`` requests."""
        with trio.fail_after(60):
            while len(found := await self.relay_log(relay, method)) < n:
                await trio.sleep(0.02)
        return found

    async def start_with_order(self, nursery):
        """The pipeline started, a dislocation planted and ordered: the trade is SENT."""
        harness, pipe = await self.start(nursery)
        await plant(self.dn, 2)
        await harness.send_order(await make_candidate(self.dn, 2))
        sent = await harness.until({TradeStatus.SENT, *FINAL})
        assert sent.status is TradeStatus.SENT, sent.reason
        return harness, pipe, sent


@asynccontextmanager
async def submitting(
    chain, tmp_path: Path, journal: Journal, modes: list[str], **execution
) -> AsyncIterator[Submitting]:
    """A scenario with relays in ``modes`` and the ``execution`` settings; when it ends without
    a failure, it proves that nothing ever reached the public endpoint."""
    dn, inv, _ = chain
    with RpcProxy(dn.rpc).running() as proxy, relay_processes(dn.rpc, modes) as relays:
        cfg = exec_config(
            dn,
            inv,
            relays=tuple(r.url for r in relays),
            searcher_key_file=write_searcher_key(tmp_path),
            **execution,
        )
        cfg = dataclasses.replace(cfg, chain=dataclasses.replace(cfg.chain, rpc=(proxy.url,)))
        latch = SafetyLatch(tmp_path / "latch")
        async with httpx.AsyncClient() as http:
            yield Submitting(dn, proxy, relays, cfg, http, journal, latch)
        # the pipeline did read the chain through the proxy (so it was in the path, counting),
        assert proxy.methods.total() > 0
        assert proxy.sends() == {}  # and nothing it sent ever reached the public endpoint


async def _miner_delta(dn, number: int) -> tuple[int, dict]:
    block = await dn.call("eth_getBlockByNumber", [hex(number), False])
    miner = block["miner"]
    after = int(await dn.call("eth_getBalance", [miner, hex(number)]), 16)
    before = int(await dn.call("eth_getBalance", [miner, hex(number - 1)]), 16)
    return after - before, block


def _tips(receipt: dict, block: dict) -> int:
    """What the block's miner got as priority fees from this transaction."""
    price = int(receipt["effectiveGasPrice"], 16) - int(block["baseFeePerGas"], 16)
    return int(receipt["gasUsed"], 16) * price


def _coinbase_paid(receipt: dict) -> list[dict]:
    return [lg for lg in receipt["logs"] if lg["topics"][0] == COINBASE_PAID]


async def test_a_bundle_reaches_every_relay_never_the_public_endpoint_and_pays_the_builder(
    chain, tmp_path, journal
):
    scene = submitting(chain, tmp_path, journal, ["ok"] * 3, submit="bundle", coinbase_share=0.5)
    async with scene as s, trio.open_nursery() as nursery:
        harness, _, sent = await s.start_with_order(nursery)
        for relay in s.relays:  # simulated first, then sent, by the identity, for head + 1
            log = await s.relay_log(relay)
            assert [e["method"] for e in log] == ["eth_callBundle", "eth_sendBundle"]
            assert all(e["signer"] == IDENTITY for e in log)
            assert log[1]["target"] == log[1]["head"] + 1 == sent.block_sent + 1
        assert "bundle: deadline block" in journal.trade(sent.order_id)["reason"]
        number = await s.control(s.relays[0], "relay_build")
        mined = await harness.until(FINAL)
        assert mined.status is TradeStatus.MINED, mined.reason
        assert s.proxy.sends() == {}  # nothing reached the public endpoint, even the mined one
        receipt = await s.dn.call("eth_getTransactionReceipt", [mined.tx_hash])
        assert int(receipt["blockNumber"], 16) == number
        paid = _coinbase_paid(receipt)
        assert len(paid) == 1
        amount = decode(["uint256"], bytes.fromhex(paid[0]["data"][2:]))[0]
        assert amount > 0 and mined.reason == f"coinbase: paid {amount} wei"
        delta, block = await _miner_delta(s.dn, number)
        assert delta == amount + _tips(receipt, block)  # the builder got the payment, exactly
        # the payment is a cost of the trade: off the net, like the gas
        assert mined.net_profit == mined.realized_profit - mined.gas_cost - amount
        assert any(e.relays and len(e.relays) == 3 for e in harness.relay_events)
        nursery.cancel_scope.cancel()


async def test_a_bundle_not_included_is_resubmitted_never_stale_and_dropped_nonce_unused(
    chain, tmp_path, journal
):
    scene = submitting(chain, tmp_path, journal, ["ok"], submit="bundle", deadline_blocks=2)
    async with scene as s, trio.open_nursery() as nursery:
        harness, pipe, sent = await s.start_with_order(nursery)
        count_before = int(await s.dn.call("eth_getTransactionCount", [pipe.sender, "latest"]), 16)
        deadline = sent.block_sent + 2
        await s.dn.mine()  # the target block came without it: resubmitted for the next one
        await s.wait_sends(s.relays[0], 2)
        await s.dn.mine()  # head = deadline: a bundle for deadline + 1 would be stale
        dropped = await harness.until(FINAL)
        assert dropped.status is TradeStatus.DROPPED
        assert "not included" in dropped.reason
        sends = await s.relay_log(s.relays[0], "eth_sendBundle")
        assert [e["target"] for e in sends] == [sent.block_sent + 1, sent.block_sent + 2]
        assert all(e["head"] < e["target"] <= deadline for e in sends)  # never stale
        assert pipe.nonces.next == sent.nonce  # released: the next trade takes it
        latest = int(await s.dn.call("eth_getTransactionCount", [pipe.sender, "latest"]), 16)
        assert latest == count_before == sent.nonce  # and no transaction used it
        nursery.cancel_scope.cancel()


async def test_a_failing_relay_is_skipped_and_the_bundle_lands_through_the_others(
    chain, tmp_path, journal
):
    modes = ["ok", "5xx", "garbage"]
    scene = submitting(
        chain,
        tmp_path,
        journal,
        modes,
        submit="bundle",
        deadline_blocks=6,
        relay_backoff_s=600.0,
    )
    async with scene as s, trio.open_nursery() as nursery:
        harness, pipe, _ = await s.start_with_order(nursery)
        for round_ in (2, 3):  # two resubmissions: the third failure skips the bad ones
            await s.dn.mine()
            await s.wait_sends(s.relays[0], round_)
        await s.control(s.relays[0], "relay_build")
        mined = await harness.until(FINAL)
        assert mined.status is TradeStatus.MINED, mined.reason
        for bad in s.relays[1:]:  # call + send + first resubmission, then skipped
            assert len(await s.relay_log(bad)) == 3
        health = {h.host: h for h in pipe.relays.health()}
        assert health[pipe.relays.relays[1].host].failures["unavailable"] == 3
        assert health[pipe.relays.relays[2].host].failures["malformed"] == 3
        assert [r.host for r in pipe.relays.available()] == [pipe.relays.relays[0].host]
        last = harness.relay_events[-1].relays
        assert [r.skipped for r in last] == [False, True, True]
        nursery.cancel_scope.cancel()


async def test_the_latch_stops_a_bundle_mid_resubmission(chain, tmp_path, journal):
    scene = submitting(chain, tmp_path, journal, ["ok"] * 2, submit="bundle", deadline_blocks=4)
    async with scene as s, trio.open_nursery() as nursery:
        harness, pipe, _ = await s.start_with_order(nursery)
        await s.dn.mine()
        for relay in s.relays:  # the first resubmission reached both relays
            await s.wait_sends(relay, 2)
        s.latch.trip("test press", "test")  # between two rounds: no request in flight
        await s.dn.mine()  # the next round is due: the latch holds it
        dropped = await harness.until(FINAL)
        assert dropped.status is TradeStatus.DROPPED
        assert dropped.reason.startswith("kill_switch: resubmission stopped")
        for relay in s.relays:
            assert len(await s.relay_log(relay, "eth_sendBundle")) == 2  # nothing after the press
        assert pipe.stats.sends_held >= 1
        nursery.cancel_scope.cancel()


async def test_a_private_send_in_flight_keeps_its_nonce_across_a_restart(chain, tmp_path, journal):
    scene = submitting(chain, tmp_path, journal, ["ok"], submit="private", deadline_blocks=5)
    async with scene as s:
        async with trio.open_nursery() as first:
            _, _, sent = await s.start_with_order(first)
            await s.wait_sends(s.relays[0], 1, "eth_sendPrivateTransaction")
            first.cancel_scope.cancel()  # the process stops with the send held by the relay
        sender = load_signer(s.dn.key_file).address
        node_next = int(await s.dn.call("eth_getTransactionCount", [sender, "pending"]), 16)
        assert node_next == sent.nonce  # the public node cannot see the private send
        async with trio.open_nursery() as second:
            harness = s.harness()
            pipe = await harness.start(second, pending=journal.pending_trades)
            assert pipe.nonces.next == sent.nonce + 1  # reserved for the send in flight
            await s.control(s.relays[0], "relay_build")
            mined = await harness.until(FINAL)
            assert mined.status is TradeStatus.MINED and mined.order_id == sent.order_id
            assert mined.tx_hash == sent.tx_hash
            second.cancel_scope.cancel()


async def _send_paying(dn, cand, signer, coinbase_wei: int, executor: str) -> dict:
    head = await dn.call("eth_getBlockByNumber", ["latest", False])
    data = encode_execute_paying(
        cand,
        min_profit=1,
        flash=False,
        deadline=int(head["number"], 16) + 5,
        coinbase_wei=coinbase_wei,
    )
    nonce = int(await dn.call("eth_getTransactionCount", [signer.address, "pending"]), 16)
    base_fee = int(head["baseFeePerGas"], 16)
    signed = signer.sign(
        {
            "chainId": dn.chain_id,
            "nonce": nonce,
            "to": executor,
            "value": 0,
            "data": data,
            "gas": 600_000,
            "maxFeePerGas": 2 * base_fee + 10**9,
            "maxPriorityFeePerGas": 10**9,
        }
    )
    await dn.call("eth_sendRawTransaction", ["0x" + signed.raw.hex()])
    number = await dn.mine()
    receipt = await dn.call("eth_getTransactionReceipt", [signed.hash])
    assert int(receipt["blockNumber"], 16) == number
    return receipt


async def test_the_executor_pays_the_builder_only_when_the_trade_profits(chain):
    dn, inv, _ = chain
    signer = load_signer(dn.key_file)
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    profit = cand.amount_out - cand.amount_in
    assert profit > 0
    for coinbase_wei, pays in ((profit + 1, False), (profit // 3, True)):
        weth_before = await dn.balance(dn.weth, inv)
        receipt = await _send_paying(dn, cand, signer, coinbase_wei, inv)
        number = int(receipt["blockNumber"], 16)
        delta, block = await _miner_delta(dn, number)
        tips = _tips(receipt, block)
        paid = _coinbase_paid(receipt)
        weth_after = await dn.balance(dn.weth, inv)
        if pays:  # the cycle's profit covers it: paid exactly, the rest stays with the executor
            assert receipt["status"] == "0x1" and len(paid) == 1
            assert delta == coinbase_wei + tips
            assert weth_after - weth_before == profit - coinbase_wei
        else:  # a payment above the profit: the whole trade reverts, the builder gets no payment
            assert receipt["status"] == "0x0" and paid == []
            assert delta == tips and weth_after == weth_before


async def test_paper_mode_bids_like_a_live_bundle_and_sends_nothing(chain, tmp_path, journal):
    scene = submitting(
        chain, tmp_path, journal, ["ok"], live=False, submit="bundle", coinbase_share=0.5
    )
    async with scene as s, trio.open_nursery() as nursery:
        harness, pipe = await s.start(nursery)
        await plant(s.dn, 2)
        cand = await make_candidate(s.dn, 2)
        coinbase = coinbase_bid(pipe, cand, await pipe.head())
        assert coinbase > 0
        await harness.send_order(cand)
        fill = await harness.until({TradeStatus.PAPER, *FINAL})
        assert fill.status is TradeStatus.PAPER, fill.reason
        # the same execute_paying simulated, the payment counted as a live fill counts it
        assert fill.net_profit == fill.realized_profit - fill.gas_cost - coinbase
        assert await s.relay_log(s.relays[0]) == []
        nursery.cancel_scope.cancel()


async def test_a_first_bundle_no_relay_took_is_resubmitted_next_block_and_lands(
    chain, tmp_path, journal
):
    scene = submitting(chain, tmp_path, journal, ["refuse"], submit="bundle", deadline_blocks=4)
    async with scene as s, trio.open_nursery() as nursery:
        harness, _, sent = await s.start_with_order(nursery)
        first = await s.relay_log(s.relays[0], "eth_sendBundle")
        assert [e["mode"] for e in first] == ["refuse"]  # refused, yet still in flight
        await s.control(s.relays[0], "relay_mode", "ok")
        await s.dn.mine()
        again = (await s.wait_sends(s.relays[0], 2))[-1]
        assert again["mode"] == "ok" and again["target"] == sent.block_sent + 2
        await s.control(s.relays[0], "relay_build")
        mined = await harness.until(FINAL)
        assert mined.status is TradeStatus.MINED, mined.reason
        nursery.cancel_scope.cancel()


async def test_a_bundle_the_relay_simulation_reverts_is_never_sent(chain, tmp_path, journal):
    scene = submitting(chain, tmp_path, journal, ["ok", "simrevert"], submit="bundle")
    async with scene as s, trio.open_nursery() as nursery:
        harness, pipe = await s.start(nursery)
        nonce = pipe.nonces.next
        await plant(s.dn, 2)
        await harness.send_order(await make_candidate(s.dn, 2))
        dropped = await harness.until({TradeStatus.SENT, *FINAL})
        assert dropped.status is TradeStatus.DROPPED
        assert dropped.reason.startswith("bundle_sim: reverted at relay")
        for relay in s.relays:  # simulated at both, sent to neither
            assert [e["method"] for e in await s.relay_log(relay)] == ["eth_callBundle"]
        assert pipe.nonces.next == nonce
        nursery.cancel_scope.cancel()
