"""Pipeline and tracker logic against a scripted node behind the chain package's real client and
pool (``httpx.MockTransport``: protocol level; the real chain is in the integration tests): the
latch right before signing and sending, nonce release, replacement and cancellation."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest
import trio
from eth_abi import encode
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak
from hexbytes import HexBytes

from appliance.chain.pool import RpcPool
from appliance.chain.rpc import RpcClient
from appliance.config import AppConfig, ChainConfig, DexConfig, ExecutionConfig, TokensConfig
from appliance.config.sections import AccountConfig, StrategyConfig
from appliance.events import Candidate, Leg, OrderApproved, TradeStatus
from appliance.execution.calldata import TRANSFER_TOPIC
from appliance.execution.gaslimit import gas_limit, gas_used
from appliance.execution.keys import Signer
from appliance.execution.nonce import NonceManager
from appliance.execution.pipeline import Pipeline
from appliance.execution.rpc import SendOutcome, classify_send_error
from appliance.execution.tracker import track
from appliance.modes import Mode
from appliance.safety import SafetyLatch

KEY = "0x" + keccak(text="arb-appliance test key").hex()  # derived: no key in the repo
WETH = "0x1111111111111111111111111111111111111111"
USDC = "0x2222222222222222222222222222222222222222"
EXECUTOR = "0x3333333333333333333333333333333333333333"
PROFIT = 10**15  # what the scripted executor "simulates"; the candidates expect exactly this
MEASURED = 120_000  # the gas the scripted executor reports it used


class Refuse(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code, self.message = code, message


class ScriptedNode:
    """Answers the calls the pipeline makes; records sends. Not a chain: no state transitions."""

    def __init__(self, *, base_fee: int | None = 10**9, refuse_send: str | None = None) -> None:
        self.base_fee = base_fee
        self.refuse_send = refuse_send
        self.sent: list[bytes] = []
        self.receipts: dict[str, dict] = {}
        self.latest_count = 0
        self.calls: list[dict] = []  # every eth_call's transaction
        self.methods: list[str] = []
        self.answer_words = 2  # the executor answers (profit, gas); 1: an older executor

    def call_sync(self, method, params):
        self.methods.append(method)
        if method == "eth_getBlockByNumber":
            block = {
                "number": hex(100),
                "hash": "0x" + "ab" * 32,
                "parentHash": "0x" + "cd" * 32,
                "timestamp": hex(1_700_000_000),
            }
            if self.base_fee is not None:
                block["baseFeePerGas"] = hex(self.base_fee)
            return block
        if method == "eth_call":
            self.calls.append(params[0])
            return (
                "0x"
                + encode(["uint256", "uint256"], [PROFIT, MEASURED])[: 32 * self.answer_words].hex()
            )
        if method == "eth_gasPrice":
            return hex(3 * 10**9)
        if method == "eth_sendRawTransaction":
            if self.refuse_send:
                raise Refuse(-32000, self.refuse_send)
            self.sent.append(bytes.fromhex(params[0][2:]))
            return "0x" + "00" * 32
        if method == "eth_getTransactionReceipt":
            return self.receipts.get(params[0])
        if method == "eth_getTransactionCount":
            return hex(self.latest_count)
        raise AssertionError(f"unexpected call {method}")

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if isinstance(body, list):  # a JSON-RPC batch: one answer per request
            return httpx.Response(200, json=[self.answer(item) for item in body])
        return httpx.Response(200, json=self.answer(body))

    def answer(self, body: dict) -> dict:
        try:
            answer = {"result": self.call_sync(body["method"], body["params"])}
        except Refuse as exc:
            answer = {"error": {"code": exc.code, "message": exc.message}}
        return {"jsonrpc": "2.0", "id": body["id"], **answer}

    def pool(self) -> RpcPool:
        client = RpcClient("http://node.test:8545", transport=httpx.MockTransport(self.handler))
        return RpcPool([client], hedge=False)


def _data(node: ScriptedNode) -> bytes:
    return bytes.fromhex(node.calls[-1]["data"][2:])


def _cfg(live=True, **ex) -> AppConfig:
    return AppConfig(
        chain=ChainConfig(chain_id=1, rpc=("http://127.0.0.1:1",)),
        dex=(DexConfig(name="u", factory="0x4444444444444444444444444444444444444444"),),
        tokens=TokensConfig(base=(WETH,)),
        account=AccountConfig(executor=EXECUTOR),
        strategy=StrategyConfig(mode="live" if live else "paper"),
        execution=dataclasses.replace(
            ExecutionConfig(receipt_timeout_s=10, receipt_poll_s=1), **ex
        ),
    )


def _order() -> OrderApproved:
    legs = (
        Leg("0x00000000000000000000000000000000000000AA", WETH, USDC, 30),
        Leg("0x00000000000000000000000000000000000000BB", USDC, WETH, 30),
    )
    cand = Candidate(
        block=100,
        legs=legs,
        base_token=WETH,
        amount_in=10**18,
        amount_out=10**18 + PROFIT,
        gas_estimate=200_000,
        gas_cost=10**14,
    )
    return OrderApproved(candidate=cand, mode=Mode.NORMAL, order_id="o1")


def _pipe(node, tmp_path, *, live=True, **ex):
    emitted, ahead = [], []

    async def emit(u):
        emitted.append(u)

    async def write_ahead(u):
        ahead.append(u)

    signer = Signer(Account.from_key(KEY))
    pipe = Pipeline(
        _cfg(live, **ex),
        node.pool(),
        latch=SafetyLatch(tmp_path),
        write_ahead=write_ahead,
        emit=emit,
        executor=EXECUTOR,
        sender=signer.address,
        chain_id=1,
        signer=signer,
        nonces=NonceManager(7),
    )
    return pipe, emitted, ahead


async def test_live_order_is_written_ahead_then_sent(tmp_path):
    node = ScriptedNode()
    pipe, emitted, ahead = _pipe(node, tmp_path)
    flight = await pipe.handle(_order())
    assert [u.status for u in emitted] == [TradeStatus.SIGNED, TradeStatus.SENT]
    assert ahead == emitted[:1] and ahead[0].nonce == 7 and ahead[0].tx_hash == flight.hashes[0]
    assert node.sent == [flight.raw] and flight.raw[0] == 2  # EIP-1559 (type 2)
    assert pipe.nonces.next == 8


async def test_tripped_latch_stops_signing_and_releases_the_nonce(tmp_path):
    node = ScriptedNode()
    pipe, emitted, ahead = _pipe(node, tmp_path)
    pipe.latch.trip("test", "test")
    assert await pipe.handle(_order()) is None
    assert [u.status for u in emitted] == [TradeStatus.DROPPED]
    assert emitted[0].reason.startswith("kill_switch:")
    assert node.sent == [] and ahead == [] and pipe.nonces.next == 7


async def test_refused_send_drops_and_releases_the_nonce(tmp_path):
    node = ScriptedNode(refuse_send="insufficient funds for gas * price + value")
    pipe, emitted, _ = _pipe(node, tmp_path)
    assert await pipe.handle(_order()) is None
    assert emitted[-1].status is TradeStatus.DROPPED and "insufficient funds" in emitted[-1].reason
    assert pipe.nonces.next == 7


async def test_legacy_chain_signs_a_type_0_transaction(tmp_path):
    node = ScriptedNode(base_fee=None)
    pipe, _, _ = _pipe(node, tmp_path)
    flight = await pipe.handle(_order())
    assert flight.fees.gas_price == 3 * 10**9 and flight.raw[0] >= 0xC0  # RLP list: legacy


async def test_paper_mode_never_signs_and_accounts_the_simulation(tmp_path):
    node = ScriptedNode()
    pipe, emitted, ahead = _pipe(node, tmp_path, live=False)
    assert await pipe.handle(_order()) is None
    (paper,) = emitted
    assert paper.status is TradeStatus.PAPER and paper.tx_hash is None and paper.nonce is None
    gas = gas_used(_data(node), MEASURED)  # the simulation's own measure, no estimate
    assert paper.realized_profit == PROFIT and paper.gas_used == gas
    assert paper.gas_cost == gas * (10**9 + 10**9)  # base fee + tip
    assert paper.net_profit == PROFIT - paper.gas_cost
    assert paper.slippage_bps == 0.0
    assert node.sent == [] and pipe.nonces.next == 7
    assert ahead == [paper]  # journaled before it is reported


async def test_simulation_that_disagrees_with_the_strategy_drops(tmp_path):
    node = ScriptedNode()
    order = _order()
    skewed = dataclasses.replace(order.candidate, amount_out=order.candidate.amount_out * 3)
    for live in (True, False):  # paper mode checks exactly as live does
        pipe, emitted, ahead = _pipe(node, tmp_path, live=live)
        assert await pipe.handle(dataclasses.replace(order, candidate=skewed)) is None
        (dropped,) = emitted
        assert dropped.status is TradeStatus.DROPPED and dropped.reason.startswith("sim_mismatch:")
        assert ahead == [dropped] and pipe.stats.sim_mismatch == 1
        assert node.sent == [] and pipe.nonces.next == 7


async def test_net_profit_is_checked_again_with_the_simulated_gas(tmp_path):
    """The strategy's gas (200k at the candidate) passed the gate; the gas the simulation
    measured at the head's fees makes the trade lose: dropped before signing, paper and live."""
    node = ScriptedNode(base_fee=4 * 10**9)
    for live in (True, False):
        pipe, emitted, _ = _pipe(node, tmp_path, live=live)
        # more than the measure alone leaves: intrinsic + entry + 10% margin tip it over
        pipe.rule = dataclasses.replace(pipe.rule, min_profit_wei=PROFIT - MEASURED * 5 * 10**9 + 1)
        assert await pipe.handle(_order()) is None
        assert emitted[-1].reason.startswith("net_profit:"), emitted[-1].reason
        assert node.sent == [] and pipe.stats.net_refused == 1


def _receipt(tx_hash, status=1):
    return {
        "transactionHash": tx_hash,
        "blockHash": "0x" + "ef" * 32,
        "status": hex(status),
        "gasUsed": hex(21000),
        "effectiveGasPrice": hex(10**9),
        "blockNumber": hex(101),
        "logs": [],
    }


async def test_stuck_trade_is_replaced_then_cancelled(tmp_path, autojump_clock):
    node = ScriptedNode()
    pipe, emitted, ahead = _pipe(node, tmp_path)
    flight = await pipe.handle(_order())
    node.latest_count = 7  # our nonce 7 is not mined

    async def cancel_mines_late():
        while flight.cancel_hash is None:
            await trio.sleep(1)
        node.receipts[flight.cancel_hash] = _receipt(flight.cancel_hash)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(cancel_mines_late)
        final = await track(pipe, flight)
    assert len(flight.hashes) == 3 and len(set(flight.hashes)) == 3  # original, replacement, cancel
    assert [u.reason for u in ahead[1:]] == [
        "replaced: fees bumped",
        "cancelling: replaced by a 0-value transfer",
        "cancelled: not mined in time",  # the final row, journaled before it is reported
    ]
    assert all(u.nonce == 7 for u in ahead)
    assert len(node.sent) == 3
    assert final.status is TradeStatus.DROPPED and final.reason == "cancelled: not mined in time"
    assert final.base_token == WETH and final.value_ref == -21000 * 10**9  # the cancel's gas
    assert final.gas_cost == 21000 * 10**9
    assert emitted[-1] == final


async def test_with_the_latch_tripped_a_stuck_trade_is_neither_resent_nor_replaced(
    tmp_path, autojump_clock
):
    node = ScriptedNode()
    pipe, _, ahead = _pipe(node, tmp_path)
    flight = await pipe.handle(_order())
    pipe.latch.trip("test", "test")
    with trio.move_on_after(35):
        await track(pipe, flight)
    assert len(flight.hashes) == 1 and len(ahead) == 1
    assert node.sent == [flight.raw]  # the one send before the press, nothing after
    assert pipe.stats.sends_held >= 3


async def test_nonce_taken_by_another_transaction_drops(tmp_path, autojump_clock):
    node = ScriptedNode()
    pipe, emitted, _ = _pipe(node, tmp_path)
    flight = await pipe.handle(_order())
    node.latest_count = 8  # nonce 7 used, but by none of our hashes
    final = await track(pipe, flight)
    assert final.status is TradeStatus.DROPPED and "7 used by another transaction" in final.reason
    assert emitted[-1] == final and len(node.sent) == 1  # neither replaced nor cancelled


@pytest.mark.parametrize(
    ("message", "outcome"),
    [
        ("insufficient funds for gas * price + value", SendOutcome.REFUSED),
        ("nonce too low", SendOutcome.NONCE),
        ("replacement transaction underpriced", SendOutcome.NONCE),
        ("already known", SendOutcome.KNOWN),
    ],
)
async def test_a_refused_send_is_classified_not_unknown(tmp_path, message, outcome):
    node = ScriptedNode(refuse_send=message)
    pipe, _, _ = _pipe(node, tmp_path)
    try:
        await pipe.send_rpc.send_raw_transaction(b"\x02")
    except Exception as exc:  # whatever the real pool raises for that answer
        assert classify_send_error(exc).outcome is outcome
    else:
        raise AssertionError("the scripted node refuses every send")


def _usdc_order() -> OrderApproved:
    legs = (
        Leg("0x00000000000000000000000000000000000000AA", USDC, WETH, 30),
        Leg("0x00000000000000000000000000000000000000BB", WETH, USDC, 30),
    )
    cand = Candidate(
        block=100,
        legs=legs,
        base_token=USDC,
        amount_in=1000 * 10**6,
        amount_out=1000 * 10**6 + PROFIT,
        gas_estimate=200_000,
        gas_cost=700_000,  # 0.7 USDC for 200_000 gas at the 2 gwei price used below
    )
    return OrderApproved(candidate=cand, mode=Mode.NORMAL, order_id="o2")


async def test_paper_fills_carry_the_base_token_and_the_value_in_the_reference_token(tmp_path):
    node = ScriptedNode()  # simulated profit PROFIT, MEASURED gas, base fee 1 gwei + 1 gwei tip
    pipe, emitted, _ = _pipe(node, tmp_path, live=False)
    await pipe.handle(_order())
    await pipe.handle(_usdc_order())
    weth, usdc = emitted
    (weth_call,), (usdc_call,) = node.calls[:1], node.calls[1:]
    weth_gas = gas_used(bytes.fromhex(weth_call["data"][2:]), MEASURED) * 2 * 10**9
    gas = gas_used(bytes.fromhex(usdc_call["data"][2:]), MEASURED) * 2 * 10**9
    assert weth.base_token == WETH and weth.value_ref == PROFIT - weth_gas
    assert usdc.base_token == USDC and usdc.gas_cost == gas
    # native per USDC wei = 200_000 * 2e9 / 700_000, floored after converting the profit
    assert usdc.value_ref == (PROFIT * 200_000 * 2 * 10**9) // 700_000 - gas


async def test_live_updates_carry_the_base_token_and_the_mined_value(tmp_path, autojump_clock):
    node = ScriptedNode()
    pipe, emitted, ahead = _pipe(node, tmp_path)
    flight = await pipe.handle(_usdc_order())
    assert {u.base_token for u in [*emitted, *ahead]} == {USDC}
    assert all(u.value_ref is None for u in emitted)  # not final yet
    receipt = _receipt(flight.hashes[0])
    pair = "0x" + "00" * 12 + "00" * 19 + "bb"
    receipt["logs"] = [  # 54321 USDC wei flow into the executor: the realized profit
        {
            "address": USDC,
            "topics": [TRANSFER_TOPIC, pair, "0x" + "00" * 12 + EXECUTOR[2:].lower()],
            "data": "0x" + encode(["uint256"], [54321]).hex(),
        }
    ]
    node.receipts[flight.hashes[0]] = receipt
    final = await track(pipe, flight)
    assert final.status is TradeStatus.MINED and final.base_token == USDC
    gas = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    price = flight.gas_to_base.base_per_native_den // 200_000
    assert final.realized_profit == 54321
    assert final.value_ref == 54321 * 200_000 * price // 700_000 - gas


async def test_a_refused_replacement_leaves_the_journal_naming_the_sent_hash(
    tmp_path, autojump_clock
):
    node = ScriptedNode()
    pipe, _, ahead = _pipe(node, tmp_path)
    flight = await pipe.handle(_order())
    node.refuse_send = "replacement transaction underpriced"
    with trio.move_on_after(15):  # one receipt timeout: one replacement attempt
        await track(pipe, flight)
    assert flight.hashes == [ahead[0].tx_hash] and flight.stage == 0
    assert ahead[-1].tx_hash == flight.hashes[0]  # not the refused replacement's hash
    assert ahead[-1].reason == "not sent: replaced: fees bumped"


async def test_paper_mode_takes_a_simulation_above_its_overlay_at_the_expected_profit(tmp_path):
    """Paper fills are laid over the strategy's state, not the chain's: the chain may still pay
    more than the overlay expects. Live refuses that gap; paper accounts the expected profit."""
    node = ScriptedNode()
    order = _order()
    less = dataclasses.replace(order.candidate, amount_out=order.candidate.amount_out - PROFIT // 2)
    pipe, emitted, _ = _pipe(node, tmp_path, live=False)
    await pipe.handle(dataclasses.replace(order, candidate=less))
    assert emitted[-1].status is TradeStatus.PAPER
    assert emitted[-1].realized_profit == less.gross_profit
    pipe, emitted, _ = _pipe(node, tmp_path, live=True)
    await pipe.handle(dataclasses.replace(order, candidate=less))
    assert emitted[-1].reason.startswith("sim_mismatch:") and node.sent == []


async def test_the_deadline_counts_from_the_head_the_order_was_simulated_at(tmp_path):
    """The head comes in one batch with the simulation; the calldata was encoded for the
    candidate's block. A market behind the head (candidate of block 97, head 100) gets its
    calldata encoded again with the configured deadline after the head, and simulated again."""
    node = ScriptedNode()
    calls: list[str] = []
    answer = node.call_sync

    def counting(method, params):
        calls.append(method)
        return answer(method, params)

    node.call_sync = counting
    pipe, _emitted, _ahead = _pipe(node, tmp_path)
    order = _order()
    behind = dataclasses.replace(order, candidate=dataclasses.replace(order.candidate, block=97))
    flight = await pipe.handle(behind)
    assert flight.deadline == 100 + pipe.ex.deadline_blocks
    assert calls.count("eth_call") == 2 and calls.count("eth_getBlockByNumber") == 2
    calls.clear()
    flight = await pipe.handle(order)  # up to date: one batch, the same deadline
    assert flight.deadline == 100 + pipe.ex.deadline_blocks
    assert calls.count("eth_call") == 1


async def test_the_gas_limit_is_derived_from_the_one_simulation(tmp_path):
    """One batched request (head + eth_call, no eth_estimateGas); the call runs with the
    configured cap as its gas; the signed limit is the one derived from the executor's own
    measure, below the cap."""
    node = ScriptedNode()
    pipe, _, _ = _pipe(node, tmp_path)
    flight = await pipe.handle(_order())
    assert "eth_estimateGas" not in node.methods
    assert node.methods[:2] == ["eth_getBlockByNumber", "eth_call"]
    assert node.calls[-1]["gas"] == hex(pipe.ex.gas_limit)
    want = gas_limit(_data(node), MEASURED, ["uniswap_v2", "uniswap_v2"], pipe.ex.gas_limit)
    assert flight.gas_limit == want < pipe.ex.gas_limit
    assert (
        TypedTransaction.from_bytes(HexBytes(flight.raw)).as_dict()["gas"] == want
    )  # what was signed


async def test_the_cap_bounds_the_derived_gas_limit(tmp_path):
    node = ScriptedNode()
    pipe, _, _ = _pipe(node, tmp_path, gas_limit=MEASURED + 30_000)
    flight = await pipe.handle(_order())
    assert flight.gas_limit == MEASURED + 30_000  # the gas the simulation succeeded with


async def test_an_executor_without_the_gas_measure_is_refused_by_name(tmp_path):
    """An executor of an older version answers the profit alone: no limit can be derived, so
    nothing is signed, and the reason names the executor and the fix."""
    node = ScriptedNode()
    node.answer_words = 1
    for live in (True, False):
        pipe, emitted, _ = _pipe(node, tmp_path, live=live)
        assert await pipe.handle(_order()) is None
        (dropped,) = emitted
        assert dropped.status is TradeStatus.DROPPED
        assert dropped.reason.startswith("simulation:") and EXECUTOR in dropped.reason
        assert "deploy-executor" in dropped.reason and node.sent == []
