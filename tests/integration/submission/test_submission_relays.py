"""Relays are input like any other; bundles reach Anvil only through a relay, in order; the
latch stops every send. A real relay process of our own (relay_server.FakeRelay) on loopback."""

from __future__ import annotations

import httpx
import pytest
import trio
from eth_account import Account
from eth_utils import keccak
from relay_server import FakeRelay

from appliance.safety import SafetyLatch, SigningHalted
from appliance.submission.errors import (
    NoRelayAvailable,
    RelayMalformed,
    RelayRefused,
    RelayUnavailable,
)
from appliance.submission.identity import SearcherIdentity
from appliance.submission.relay import RelayClient, RelaySet

pytestmark = pytest.mark.devnet

# a test identity, derived from its name (no key literal): never a trading key
IDENTITY = SearcherIdentity("0x" + keccak(text="arb-appliance test: relay identity").hex())


async def _signed_transfer(dn, nonce_offset: int = 0) -> tuple[bytes, str]:
    account = dn.accounts["appliance"]
    nonce = int(await dn.call("eth_getTransactionCount", [account.address, "pending"]), 16)
    tx = {
        "type": 2,
        "chainId": dn.chain_id,
        "nonce": nonce + nonce_offset,
        "to": dn.address_of("simulator"),
        "value": 12345,
        "gas": 21_000,
        "maxFeePerGas": 100 * 10**9,
        "maxPriorityFeePerGas": 2 * 10**9,
    }
    signed = Account.sign_transaction(tx, account.private_key)
    return bytes(signed.raw_transaction), "0x" + bytes(signed.hash).hex()


async def _relays(nursery, dn, modes, latch, http, timeout_s=2.0):
    fakes, clients = [], []
    for mode in modes:
        fake = FakeRelay(dn.rpc, mode=mode)
        url = await nursery.start(fake.serve)
        fakes.append(fake)
        clients.append(RelayClient(url, IDENTITY, http=http, timeout_s=timeout_s))
    return fakes, RelaySet(clients, latch=latch)


async def test_a_bundle_lands_through_the_relay_only_and_failing_relays_are_classified(
    devnet, tmp_path
):
    dn = devnet
    latch = SafetyLatch(tmp_path)
    async with httpx.AsyncClient() as http, trio.open_nursery() as nursery:
        fakes, relays = await _relays(nursery, dn, ["ok", "5xx", "garbage", "refuse"], latch, http)
        raw, tx_hash = await _signed_transfer(dn)
        head = int(await dn.call("eth_blockNumber"), 16)
        sim = (await relays.call_bundle([raw], head + 1, head))[relays.relays[0].host]
        assert sim["results"][0]["error"] is None and sim["results"][0]["gasUsed"] == 21_000
        answers = await relays.send_bundle([raw], head + 1)
        ok, down, garbage, refused = (answers[r.host] for r in relays.relays)
        assert isinstance(ok, str) and ok.startswith("0x")
        assert isinstance(down, RelayUnavailable) and "503" in str(down)
        assert isinstance(garbage, RelayMalformed)
        assert isinstance(refused, RelayRefused) and refused.code == -32000
        # nothing public: Anvil's pool has never seen it, only the relay holds it
        assert (await dn.call("txpool_content"))["pending"] == {}
        assert fakes[0].signers[-1] == IDENTITY.address  # signed over the exact body
        number = await fakes[0].build()
        receipt = await dn.call("eth_getTransactionReceipt", [tx_hash])
        assert int(receipt["blockNumber"], 16) == number and receipt["status"] == "0x1"
        # a stale target is refused by the relay and never lands
        stale = await relays.send_bundle([raw], number)
        assert isinstance(stale[relays.relays[0].host], RelayRefused)
        # the failing relays are skipped after three failures in a row; the good one is not
        for _ in range(2):
            await relays.send_bundle([raw], number + 5)
        assert [r.host for r in relays.available()] == [relays.relays[0].host]
        health = {h.host: h for h in relays.health()}
        assert health[relays.relays[1].host].failures["unavailable"] == 3
        assert health[relays.relays[2].host].failures["malformed"] == 3
        nursery.cancel_scope.cancel()


async def test_a_hanging_relay_times_out_and_no_relay_means_nothing_sent(devnet, tmp_path):
    dn = devnet
    latch = SafetyLatch(tmp_path)
    async with httpx.AsyncClient() as http, trio.open_nursery() as nursery:
        _, relays = await _relays(nursery, dn, ["hang"], latch, http, timeout_s=0.3)
        raw, _ = await _signed_transfer(dn)
        for _ in range(3):
            (answer,) = (await relays.send_bundle([raw], 10**6)).values()
            assert isinstance(answer, RelayUnavailable) and "no answer" in str(answer)
        with pytest.raises(NoRelayAvailable):
            await relays.send_bundle([raw], 10**6)
        nursery.cancel_scope.cancel()


async def test_the_latch_stops_every_submission_path(devnet, tmp_path):
    dn = devnet
    latch = SafetyLatch(tmp_path)
    async with httpx.AsyncClient() as http, trio.open_nursery() as nursery:
        fakes, relays = await _relays(nursery, dn, ["ok", "ok"], latch, http)
        raw, _ = await _signed_transfer(dn)
        latch.trip("test press", "test")
        for send in (
            relays.send_bundle([raw], 10**6),
            relays.send_private_transaction(raw, 10**6),
            relays.call_bundle([raw], 10**6, 1),
        ):
            with pytest.raises(SigningHalted):
                await send
        assert all(f.requests == [] for f in fakes)
        nursery.cancel_scope.cancel()


async def test_a_bad_signature_is_refused_by_the_relay(devnet):
    dn = devnet
    async with httpx.AsyncClient() as http, trio.open_nursery() as nursery:
        fake = FakeRelay(dn.rpc)
        url = await nursery.start(fake.serve)
        body = b'{"jsonrpc":"2.0","id":1,"method":"eth_sendBundle","params":[]}'
        forged = IDENTITY.sign(body + b" ")  # a signature of another body
        answer = await http.post(url, content=body, headers={"X-Flashbots-Signature": forged})
        assert "invalid X-Flashbots-Signature" in answer.json()["error"]["message"]
        assert fake.signers == [None]
        nursery.cancel_scope.cancel()
