"""One order through the pipeline: plan → simulate → checks → latch → sign → write-ahead → latch → send.

Paper mode behaves as live up to the signature: the same simulation of the exact calldata on the
pending block, the same gas estimate, the same checks. Its result (the executor returns the
profit) is the fill, written ahead to the journal before it is logged or reported, with status
``paper``; nothing is signed or sent.

Order of the safety-relevant steps (the why):

* every call to the executor carries a deadline block (head + ``execution.deadline_blocks``):
  a signed transaction that lingers can never execute on a later state;
* the simulation (``eth_call`` on the pending block) must return the profit the strategy
  expected, within the rounding bound: a disagreement means the strategy's view of a pool was
  wrong (a lying endpoint, a move since), and the order is dropped (``sim_mismatch``);
* the gas is measured in that same simulation (the executor returns the gas it used: one EVM
  execution, no ``eth_estimateGas`` binary search), and the net profit at the head's base fee
  is checked again with the risk gate's rule before signing (``net_profit``);
* the gas limit signed is derived from that measure with bounds for everything the measure
  cannot see (:mod:`appliance.execution.gaslimit`), at most ``execution.gas_limit``: the gas the
  simulation itself ran with, so the cap is always enough for the simulated state;
* the nonce is taken only after those checks passed, so a dropped order never burns one;
* ``latch.check()`` runs synchronously right before signing *and* right before every send
  (first send, replacement, cancellation, rebroadcast), with nothing awaited in between: a kill
  switch tripped from any thread while the write-ahead row is being made durable stops the send;
* the SIGNED row (tx hash, nonce) is journaled and acknowledged *before* the send: after a crash
  the journal always knows every transaction that may be on the wire;
* a node that refuses the send is an answer, not an unknown outcome: the refusal is classified
  (:mod:`appliance.execution.rpc`), the nonce released or resynced, the trade dropped.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode

from appliance.chain.errors import ChainError, ExecutionReverted, RpcError
from appliance.chain.pool import RpcPool
from appliance.config import AppConfig
from appliance.errors import ApplianceError
from appliance.events import BlockSeen, Candidate, OrderApproved, TradeStatus, TradeUpdated
from appliance.execution.accounting import Fill, GasToBase, candidate_rate, fill_from_simulation
from appliance.execution.bids import coinbase_bid, tip_bid
from appliance.execution.bundles import first_submission, submission_reason
from appliance.execution.calldata import decode_revert, encode_execute
from appliance.execution.errors import SimulationFailed
from appliance.execution.fees import Fees, initial_fees
from appliance.execution.gaslimit import gas_limit, gas_used
from appliance.execution.keys import SignedTx, Signer
from appliance.execution.nonce import NonceManager
from appliance.execution.paying import encode_execute_paying, execute_paying_selector
from appliance.execution.profit import ProfitRule
from appliance.execution.rpc import SendOutcome, call_error, classify_send_error
from appliance.modes import Mode
from appliance.safety import SafetyLatch, SigningHalted
from appliance.submission.relay import RelaySet

__all__ = [
    "Head",
    "InFlight",
    "Pipeline",
    "Simulation",
    "WriteAheadFn",
    "fill_update",
    "order_update",
]

log = logging.getLogger(__name__)

WriteAheadFn = Callable[[TradeUpdated], Awaitable[None]]

GAS_MARGIN_PCT = 10  # added to the simulation's gas when the net profit is checked


@dataclass(frozen=True, slots=True)
class Head:
    number: int
    base_fee: int | None  # None: a chain without EIP-1559 (legacy transactions)

    @classmethod
    def from_block(cls, block: BlockSeen) -> Head:
        return cls(number=block.number, base_fee=block.base_fee)


@dataclass(frozen=True, slots=True)
class Simulation:
    """What the one simulation of the exact calldata says: the executor's profit, the gas the
    transaction used (before refunds) and the gas limit to sign (:mod:`gaslimit`)."""

    profit: int
    gas_used: int
    gas_limit: int


@dataclass(slots=True)
class InFlight:
    """A sent transaction and everything needed to replace, cancel or account it.

    Owned by exactly one task at a time (the loop creates it, then hands it to its tracker).
    """

    order_id: str
    mode: Mode
    to: str
    data: bytes
    gas_limit: int
    nonce: int
    fees: Fees
    block_sent: int
    amount_in: int
    expected_profit: int
    gas_to_base: GasToBase
    base_token: str | None
    raw: bytes
    hashes: list[str] = field(default_factory=list)  # every hash sent for this nonce, oldest first
    cancel_hash: str | None = None
    deadline: int = 0
    stage: int = 0  # 0 sent, 1 replaced, 2 cancelled
    submit: str = "public"  # public | private | bundle (execution.submit; see bundles.py)
    coinbase_wei: int = 0  # paid to block.coinbase by execute_paying when the trade succeeds
    target: int = 0  # bundle: the last target block sent for
    resubmissions: int = 0  # bundle: rounds after the first

    def update(self, status: TradeStatus = TradeStatus.SENT, **changes: Any) -> TradeUpdated:
        """The trade's journal row as this flight knows it (the latest hash), with ``changes``."""
        return TradeUpdated(
            order_id=self.order_id,
            status=status,
            mode=self.mode,
            tx_hash=self.hashes[-1],
            nonce=self.nonce,
            amount_in=self.amount_in,
            expected_profit=self.expected_profit,
            block_sent=self.block_sent,
            base_token=self.base_token,
            **changes,
        )


@dataclass(slots=True)
class PipelineStats:
    """Counters the benchmark and the tests read (the journal and metrics hold the reasons)."""

    simulated: int = 0
    sim_mismatch: int = 0
    net_refused: int = 0
    sends_held: int = 0  # sends not made because the latch was tripped (first, rebroadcast, ...)
    refused: int = 0  # sends the node refused


class Pipeline:
    """The per-order steps; :func:`appliance.execution.service.run_execution` drives it."""

    def __init__(
        self,
        cfg: AppConfig,
        rpc: RpcPool,
        *,
        latch: SafetyLatch,
        write_ahead: WriteAheadFn,
        emit: Callable[[TradeUpdated], Awaitable[None]],
        executor: str,
        sender: str,
        chain_id: int,
        signer: Signer | None = None,
        nonces: NonceManager | None = None,
        send_rpc: RpcPool | None = None,
        relays: RelaySet | None = None,
        observe: Callable[[object], Awaitable[None]] | None = None,
    ) -> None:
        self.cfg = cfg
        self.ex = cfg.execution
        self.rpc = rpc
        self.send_rpc = send_rpc or rpc
        self.latch = latch
        self.write_ahead = write_ahead
        self.emit = emit
        self.executor = executor
        self.sender = sender
        self.chain_id = chain_id
        self.signer = signer
        self.nonces = nonces
        self.paper = not cfg.live
        self.rule = ProfitRule.from_config(cfg.risk)
        self.stats = PipelineStats()
        # gas is paid in the native coin: netted 1:1 when the base token is its wrapped form
        self.native_token = cfg.strategy.native_token or cfg.tokens.base[0]
        # private/bundle submission: the relays (None: public); ``observe`` takes their health
        # paper mode bids as live would (a bundle's coinbase payment too), it only never sends
        self.submit = cfg.execution.submit
        self.relays = relays
        self.observe = observe
        self._paying_selector = execute_paying_selector()

    # ------------------------------------------------------------------ steps
    async def head(self) -> Head:
        return Head.from_block(await self.rpc.get_block("latest"))

    def calldata(
        self, candidate: Candidate, head: Head, coinbase_wei: int = 0
    ) -> tuple[bytes, int]:
        """(calldata, deadline block). min_profit = 1 wei: once sent, the gas is spent either
        way, so any non-negative fill beats a revert; the net was checked before signing.
        ``coinbase_wei`` > 0: ``execute_paying`` (a bundle's bid, paid only on success)."""
        deadline = head.number + max(1, self.ex.deadline_blocks)
        flash = self.ex.funding == "flash"
        if coinbase_wei:
            data = encode_execute_paying(
                candidate, min_profit=1, flash=flash, deadline=deadline, coinbase_wei=coinbase_wei
            )
            return data, deadline
        return encode_execute(candidate, min_profit=1, flash=flash, deadline=deadline), deadline

    def _call(self, data: bytes) -> dict[str, Any]:
        return {
            "from": self.sender,
            "to": self.executor,
            "data": "0x" + data.hex(),
            "gas": hex(self.ex.gas_limit),
        }

    async def simulate(
        self, cand: Candidate, data: bytes, block: int | str = "pending"
    ) -> Simulation:
        """eth_call of the exact calldata on ``block``: the profit the executor reports, and the
        gas it measured (the limit derived from it)."""
        try:
            out = await self.rpc.eth_call(self.executor, data, block, sender=self.sender)
        except ChainError as exc:
            raise _reverted(exc) or exc from None
        return self._outcome(cand, data, out)

    async def simulate_at_head(self, cand: Candidate) -> tuple[Head, bytes, int, int, Simulation]:
        """(head, calldata, deadline, coinbase_wei, simulation): the head and the exact
        calldata's simulation on the pending block, in one batched request (one round trip where
        the head then the simulation took two). The calldata is encoded for the candidate's
        block; when the head's own calldata differs (the market was behind the head: the
        deadline counts ``execution.deadline_blocks`` from the head it was simulated at; a
        bundle's payment depends on the head's base fee), it is encoded again from the head and
        simulated again."""
        assumed = Head(number=cand.block, base_fee=None)
        assumed_bid = coinbase_bid(self, cand, assumed)
        data, deadline = self.calldata(cand, assumed, assumed_bid)
        head, out = await self._simulate_batch(data)
        coinbase_wei = coinbase_bid(self, cand, head)
        # the calldata depends on the head only through its number (the deadline) and the bid:
        # both unchanged, encoding it again (~0.4 ms on the way to the signature) gives the same
        if head.number != assumed.number or coinbase_wei != assumed_bid:
            again, deadline_again = self.calldata(cand, head, coinbase_wei)
            if again != data:  # whatever the first answer: it simulated other calldata
                data, deadline = again, deadline_again
                _later, out = await self._simulate_batch(data)
        if isinstance(out, RpcError):
            raise _reverted(out) or out
        return head, data, deadline, coinbase_wei, self._outcome(cand, data, out)

    async def _simulate_batch(self, data: bytes) -> tuple[Head, bytes | RpcError]:
        try:
            block, out = await self.rpc.simulate_at_head(self._call(data), "pending")
        except ChainError as exc:
            raise _reverted(exc) or exc from None
        return Head.from_block(block), out

    def _outcome(self, cand: Candidate, data: bytes, out: bytes) -> Simulation:
        """The executor's answer: (profit, gas measured from its first statement to its return)."""
        if len(out) < 64:
            raise SimulationFailed(
                f"unexpected answer {out.hex()!r} from {self.executor}: not an executor of this"
                " version (no gas measure); redeploy it with `arb-appliance deploy-executor`"
            )
        profit, measured = decode(["uint256", "uint256"], out[:64])
        kinds = [leg.kind for leg in cand.legs]
        return Simulation(
            profit=int(profit),
            gas_used=gas_used(data, measured),
            gas_limit=gas_limit(
                data,
                measured,
                kinds,
                self.ex.gas_limit,
                pays_coinbase=data[:4] == self._paying_selector,
            ),
        )

    async def estimate_gas(self, data: bytes, block: int | str = "pending") -> int:
        """The node's gas estimate of the exact calldata on ``block`` (benchmarks compare it)."""
        try:
            return await self.rpc.estimate_gas(self._call(data), block)
        except ChainError as exc:
            raise _reverted(exc) or exc from None

    def sign(self, data: bytes, fees: Fees, nonce: int, gas_limit: int | None = None) -> SignedTx:
        """Check the latch, then sign. Nothing may be awaited between the two."""
        assert self.signer is not None
        self.latch.check()
        tx = {
            "chainId": self.chain_id,
            "nonce": nonce,
            "to": self.executor,
            "value": 0,
            "data": data,
            "gas": gas_limit or self.ex.gas_limit,
            **fees.fields(),
        }
        return self.signer.sign(tx)

    def sign_cancel(self, fees: Fees, nonce: int) -> SignedTx:
        """A 0-value transfer to ourselves with ``nonce``: takes the nonce away from a stuck trade."""
        assert self.signer is not None
        self.latch.check()
        tx = {
            "chainId": self.chain_id,
            "nonce": nonce,
            "to": self.sender,
            "value": 0,
            "data": b"",
            "gas": 21_000,
            **fees.fields(),
        }
        return self.signer.sign(tx)

    async def send(self, raw: bytes) -> None:
        """The one way a signed transaction reaches the wire: the latch is checked right before
        the call (nothing awaited in between). Raises SigningHalted (counted) or ChainError."""
        try:
            self.latch.check()
        except SigningHalted:
            self.stats.sends_held += 1
            raise
        await self.send_rpc.send_raw_transaction(raw)

    def gas_to_base(self, candidate: Candidate, price: int) -> GasToBase:
        return candidate_rate(self.native_token, candidate, price)

    async def fees(self, head: Head) -> Fees:
        price = await self.rpc.gas_price() if head.base_fee is None else None
        return initial_fees(self.ex, head.base_fee, price)

    async def finish(self, update: TradeUpdated) -> None:
        """A final status: durable in the journal first (write-ahead), then logged and reported,
        so nothing the log or the screen called done can be lost to a kill -9."""
        try:
            await self.write_ahead(update)
        except ApplianceError as exc:
            log.error("trade %s %s not journaled: %s", update.order_id, update.status, exc)
        await self.emit(update)

    async def resync_nonce(self) -> None:
        try:
            self.nonces = NonceManager(await self.rpc.get_transaction_count(self.sender, "pending"))
        except ChainError as exc:
            log.warning("nonce resync failed (next send resyncs again): %s", exc)

    def check(
        self, cand: Candidate, profit: int, gas: int, price: int, bid_wei: int = 0
    ) -> str | None:
        """The checks between the simulation and the signature; the reason to drop, if any.

        * the simulated profit must equal the expected one within the rounding bound (one wei
          per leg): the executor recomputes every leg from the pools' reserves with the pools'
          own formula, so any larger gap means the strategy's reserves were not the chain's
          (paper mode: only a shortfall, see below);
        * the net after gas (the simulation's gas used plus ``GAS_MARGIN_PCT`` × the head's
          effective gas price, converted at the candidate's rate) must pass the risk gate's
          profit rule. The margin covers what the pending block's simulation cannot see: a new timestamp makes
          each pair update its price accumulators (measured: up to +5,000 gas per leg).
          ``bid_wei`` (native wei: a bundle's coinbase payment) counts as a cost like the gas;
          the priority-fee bid is in ``price``.
        """
        bound = len(cand.legs)
        gap = profit - cand.gross_profit
        # paper mode lays its fills over the strategy's market state (what a live fill would have
        # consumed) while the chain never saw them: a simulation *above* the expectation is that
        # overlay, not a lie; a shortfall is refused in both modes
        if (gap < -bound) or (gap > bound and not self.paper):
            self.stats.sim_mismatch += 1
            return (
                f"sim_mismatch: simulated profit {profit} wei, expected {cand.gross_profit}"
                f" (bound {bound} wei)"
            )
        gas = gas + gas * GAS_MARGIN_PCT // 100
        gas_base = self.gas_to_base(cand, price)(cand.base_token, gas * price + bid_wei)
        refusal = self.rule.refusal(profit - gas_base, cand.amount_in)
        if refusal is not None:
            self.stats.net_refused += 1
            paid = f", coinbase {bid_wei} wei" if bid_wei else ""
            return f"net_profit: {refusal} (gas {gas} at {price} wei{paid})"
        return None

    # ------------------------------------------------------------------ one order
    async def handle(
        self, order: OrderApproved, *, head: Head | None = None, simulate: bool = True
    ) -> InFlight | None:
        """Run ``order`` to the send (live) or the fill (paper). Returns what to track, if sent.

        ``head``/``simulate=False`` exist for the benchmark's split figures only."""
        cand = order.candidate
        base = order_update(order, TradeStatus.DROPPED)
        try:
            if simulate and head is None:  # head and simulation (with its gas): one round trip
                head, data, deadline, coinbase_wei, sim = await self.simulate_at_head(cand)
                self.stats.simulated += 1
            else:
                head = head or await self.head()
                coinbase_wei = coinbase_bid(self, cand, head)
                data, deadline = self.calldata(cand, head, coinbase_wei)
                if simulate:
                    sim = await self.simulate(cand, data)
                    self.stats.simulated += 1
                else:
                    sim = Simulation(cand.gross_profit, cand.gas_estimate, self.ex.gas_limit)
            profit, gas = sim.profit, sim.gas_used
            fees = await self.fees(head)
        except ValueError as exc:
            await self.emit(_replace(base, reason=f"bad_candidate: {exc}"))
            return None
        except SimulationFailed as exc:
            await self.emit(_replace(base, reason=f"simulation: {exc.reason}"))
            return None
        except ChainError as exc:  # no endpoint, or a malformed answer: a logged rejection
            await self.emit(_replace(base, reason=f"rpc: {exc}"))
            return None
        if simulate and self.ex.bid_share > 0:
            fees = tip_bid(self, cand, profit - coinbase_wei, gas, fees, head)
        price = _effective_price(fees, head)
        reason = self.check(cand, profit, gas, price, coinbase_wei) if simulate else None
        if reason is not None:
            await self.finish(_replace(base, reason=reason))
            return None
        if self.paper:
            return await self._paper(order, base, head, price, profit, gas, coinbase_wei)
        assert self.nonces is not None
        nonce = self.nonces.take()
        # derived from the simulation's own measure with bounds for what the pending block
        # cannot see (a pool's first oracle write of the block), capped by execution.gas_limit
        limit = sim.gas_limit
        try:
            signed = self.sign(data, fees, nonce, limit)
        except SigningHalted as exc:
            self.nonces.release(nonce)
            await self.emit(_replace(base, reason=f"kill_switch: {exc}"))
            return None
        flight = InFlight(
            order_id=order.order_id,
            mode=order.mode,
            to=self.executor,
            data=data,
            gas_limit=limit,
            nonce=nonce,
            fees=fees,
            block_sent=head.number,
            amount_in=cand.amount_in,
            expected_profit=cand.gross_profit,
            gas_to_base=self.gas_to_base(cand, price),
            base_token=cand.base_token,
            raw=signed.raw,
            hashes=[signed.hash],
            deadline=deadline,
            submit=self.submit,
            coinbase_wei=coinbase_wei,
        )
        signed_row = _replace(
            base,
            status=TradeStatus.SIGNED,
            tx_hash=signed.hash,
            nonce=nonce,
            block_sent=head.number,
            reason=(
                submission_reason(self.submit, deadline, coinbase_wei)
                if self.submit != "public"
                else ""
            ),
        )
        try:
            await self.write_ahead(signed_row)  # durable before anything reaches the wire
        except ApplianceError as exc:  # e.g. the store's WriteAheadFailed: never send unjournaled
            self.nonces.release(nonce)
            await self.emit(
                _replace(
                    signed_row, status=TradeStatus.DROPPED, reason=f"write_ahead: failed: {exc}"
                )
            )
            return None
        await self.emit(signed_row)
        if self.submit != "public":  # relays only, never the public endpoints (bundles.py)
            return await first_submission(self, flight, signed_row)
        try:
            await self.send(signed.raw)  # checks the latch: a press during the fsync lands here
        except SigningHalted as exc:
            if not self.nonces.release(nonce):
                await self.resync_nonce()
            await self.finish(
                _replace(
                    signed_row,
                    status=TradeStatus.DROPPED,
                    reason=f"kill_switch: signed but never sent: {exc}",
                )
            )
            return None
        except ChainError as exc:
            refusal = classify_send_error(exc)
            if refusal.outcome in (SendOutcome.REFUSED, SendOutcome.NONCE):
                self.stats.refused += 1
                released = self.nonces.release(nonce)
                if refusal.outcome is SendOutcome.NONCE or not released:
                    await self.resync_nonce()
                await self.finish(
                    _replace(
                        signed_row,
                        status=TradeStatus.DROPPED,
                        reason=f"send_refused: {refusal.kind}: {refusal.message}",
                    )
                )
                return None
            # KNOWN: the node holds it; UNKNOWN: it may be on the wire. The tracker decides.
            log.warning("send of %s: %s (%s)", signed.hash, refusal.kind, refusal.message)
        await self.emit(_replace(signed_row, status=TradeStatus.SENT))
        return flight

    async def _paper(
        self,
        order: OrderApproved,
        base: TradeUpdated,
        head: Head,
        price: int,
        profit: int,
        gas_used: int,
        coinbase_wei: int = 0,
    ) -> None:
        try:
            self.latch.check()  # paper trades stop with the kill switch too
        except SigningHalted as exc:
            await self.emit(_replace(base, reason=f"kill_switch: {exc}"))
            return None
        fill = fill_from_simulation(
            profit=min(profit, order.candidate.gross_profit),  # never more than a live fill got
            gas_used=gas_used,
            gas_price=price,
            base_token=order.candidate.base_token,
            expected_profit=order.candidate.gross_profit,
            gas_to_base=self.gas_to_base(order.candidate, price),
            block=head.number,
        )
        if coinbase_wei:  # the bundle's payment, as a live fill pays it: a cost like the gas
            fill = dataclasses.replace(
                fill,
                net_profit=fill.net_profit
                - self.gas_to_base(order.candidate, price)(fill.base_token or "", coinbase_wei),
                value_ref=None if fill.value_ref is None else fill.value_ref - coinbase_wei,
            )
        await self.finish(fill_update(base, fill, TradeStatus.PAPER, block_sent=head.number))
        return None


def _reverted(exc: ChainError) -> SimulationFailed | None:
    """The revert behind ``exc`` as SimulationFailed (None: not a revert, e.g. no endpoint)."""
    err = call_error(exc)
    if isinstance(err, ExecutionReverted):
        return SimulationFailed(err.reason or decode_revert(err.data))
    if err is not None and err.code == 3:
        return SimulationFailed(decode_revert(err.data))
    return None


def _effective_price(fees: Fees, head: Head) -> int:
    if fees.gas_price is not None:
        return fees.gas_price
    return min(int(fees.max_fee or 0), (head.base_fee or 0) + int(fees.tip or 0))


def _replace(update: TradeUpdated, **changes: Any) -> TradeUpdated:
    return dataclasses.replace(update, **changes)


def order_update(order: OrderApproved, status: TradeStatus, **changes: Any) -> TradeUpdated:
    """The first TradeUpdated of ``order``: what it trades and expects, in ``status``."""
    cand = order.candidate
    return TradeUpdated(
        order_id=order.order_id,
        status=status,
        mode=order.mode,
        amount_in=cand.amount_in,
        expected_profit=cand.gross_profit,
        base_token=cand.base_token,
        **changes,
    )


def fill_update(
    base: TradeUpdated, fill: Fill, status: TradeStatus, **changes: Any
) -> TradeUpdated:
    return _replace(
        base,
        status=status,
        realized_profit=fill.realized_profit,
        gas_used=fill.gas_used,
        gas_cost=fill.gas_cost,
        net_profit=fill.net_profit,
        slippage_bps=fill.slippage_bps,
        block_mined=fill.block,
        base_token=fill.base_token or base.base_token,
        value_ref=fill.value_ref,
        **changes,
    )
