"""One order through the pipeline: plan → simulate → latch check → sign → write-ahead → send.

Paper mode stops after the simulation: its result (the executor returns the profit) is the fill,
accounted exactly like a receipt, recorded with status ``paper``; nothing is signed or sent.

Order of the safety-relevant steps (the why):

* the nonce is taken only after the simulation passed, so a dropped order never burns one;
* ``latch.check()`` runs synchronously right before signing, with nothing awaited in between, so
  a kill switch tripped from any thread stops the very next signature;
* the SIGNED row (tx hash, nonce) is journaled and acknowledged *before* the send: after a crash
  the journal always knows every transaction that may be on the wire.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode

from appliance.config import AppConfig
from appliance.errors import ApplianceError
from appliance.events import Candidate, OrderApproved, TradeStatus, TradeUpdated
from appliance.execution.accounting import Fill, GasToBase, fill_from_simulation
from appliance.execution.calldata import decode_revert, encode_execute
from appliance.execution.errors import NodeError, RpcUnavailable, SimulationFailed
from appliance.execution.fees import Fees, initial_fees
from appliance.execution.keys import SignedTx, Signer
from appliance.execution.nonce import NonceManager
from appliance.execution.rpc import ExecRpc
from appliance.modes import Mode
from appliance.safety import SafetyLatch, SigningHalted

__all__ = ["Head", "InFlight", "Pipeline", "WriteAhead", "fill_update"]

WriteAhead = Callable[[TradeUpdated], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Head:
    number: int
    base_fee: int | None  # None: a chain without EIP-1559 (legacy transactions)

    @classmethod
    def from_block(cls, block: dict[str, Any]) -> Head:
        fee = block.get("baseFeePerGas")
        return cls(
            number=int(block["number"], 16), base_fee=int(fee, 16) if fee is not None else None
        )


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


class Pipeline:
    """The per-order steps; :func:`appliance.execution.service.run_execution` drives it."""

    def __init__(
        self,
        cfg: AppConfig,
        rpc: ExecRpc,
        *,
        latch: SafetyLatch,
        write_ahead: WriteAhead,
        emit: Callable[[TradeUpdated], Awaitable[None]],
        executor: str,
        sender: str,
        chain_id: int,
        signer: Signer | None = None,
        nonces: NonceManager | None = None,
        send_rpc: ExecRpc | None = None,
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
        # gas is paid in the native coin: netted 1:1 when the base token is its wrapped form
        self.native_token = cfg.strategy.native_token or cfg.tokens.base[0]

    # ------------------------------------------------------------------ steps
    async def head(self) -> Head:
        return Head.from_block(await self.rpc.get_block("latest"))

    def calldata(self, candidate: Candidate, head: Head) -> tuple[bytes, int]:
        """(calldata, deadline block). min_profit = 1 wei: once sent, the gas is spent either
        way, so any non-negative fill beats a revert; the risk gate already judged the net."""
        deadline = head.number + self.ex.deadline_blocks if self.ex.deadline_blocks else 0
        flash = self.ex.funding == "flash"
        return encode_execute(candidate, min_profit=1, flash=flash, deadline=deadline), deadline

    def _call(self, data: bytes) -> dict[str, Any]:
        return {
            "from": self.sender,
            "to": self.executor,
            "data": "0x" + data.hex(),
            "gas": hex(self.ex.gas_limit),
        }

    async def simulate(self, data: bytes, head: Head) -> int:
        """eth_call of the exact calldata at ``head``; returns the profit the executor reports."""
        try:
            out = await self.rpc.eth_call(self._call(data), head.number)
        except NodeError as exc:
            raise SimulationFailed(
                decode_revert(exc.data) if exc.data else (exc.message or "reverted (no reason)")
            ) from None
        if len(out) < 32:
            raise SimulationFailed(
                f"unexpected answer {out.hex()!r} (is {self.executor} the executor?)"
            )
        return int(decode(["uint256"], out[:32])[0])

    def sign(self, data: bytes, fees: Fees, nonce: int) -> SignedTx:
        """Check the latch, then sign. Nothing may be awaited between the two."""
        assert self.signer is not None
        self.latch.check()
        tx = {
            "chainId": self.chain_id,
            "nonce": nonce,
            "to": self.executor,
            "value": 0,
            "data": data,
            "gas": self.ex.gas_limit,
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

    def gas_to_base(self, candidate: Candidate, price: int) -> GasToBase:
        den = candidate.gas_estimate * price
        return GasToBase(self.native_token, candidate.gas_cost if den else 0, den or 1)

    async def fees(self, head: Head) -> Fees:
        price = await self.rpc.gas_price() if head.base_fee is None else None
        return initial_fees(self.ex, head.base_fee, price)

    # ------------------------------------------------------------------ one order
    async def handle(
        self, order: OrderApproved, *, head: Head | None = None, simulate: bool = True
    ) -> InFlight | None:
        """Run ``order`` to the send (live) or the fill (paper). Returns what to track, if sent.

        ``head``/``simulate=False`` exist for the benchmark (latency without the round trips)."""
        cand = order.candidate
        base = TradeUpdated(
            order_id=order.order_id,
            status=TradeStatus.DROPPED,
            mode=order.mode,
            amount_in=cand.amount_in,
            expected_profit=cand.gross_profit,
            base_token=cand.base_token,
        )
        try:
            head = head or await self.head()
            data, deadline = self.calldata(cand, head)
            profit = await self.simulate(data, head) if simulate else cand.gross_profit
            fees = await self.fees(head)
        except ValueError as exc:
            await self.emit(_replace(base, reason=f"bad candidate: {exc}"))
            return None
        except SimulationFailed as exc:
            await self.emit(_replace(base, reason=f"simulation: {exc.reason}"))
            return None
        except (RpcUnavailable, NodeError) as exc:
            await self.emit(_replace(base, reason=f"rpc: {exc}"))
            return None
        if self.paper:
            return await self._paper(order, base, data, head, fees, profit)
        assert self.nonces is not None
        nonce = self.nonces.take()
        try:
            signed = self.sign(data, fees, nonce)
        except SigningHalted as exc:
            self.nonces.release(nonce)
            await self.emit(_replace(base, reason=f"kill_switch: {exc}"))
            return None
        flight = InFlight(
            order_id=order.order_id,
            mode=order.mode,
            to=self.executor,
            data=data,
            gas_limit=self.ex.gas_limit,
            nonce=nonce,
            fees=fees,
            block_sent=head.number,
            amount_in=cand.amount_in,
            expected_profit=cand.gross_profit,
            gas_to_base=self.gas_to_base(cand, _effective_price(fees, head)),
            base_token=cand.base_token,
            raw=signed.raw,
            hashes=[signed.hash],
            deadline=deadline,
        )
        signed_row = _replace(
            base,
            status=TradeStatus.SIGNED,
            tx_hash=signed.hash,
            nonce=nonce,
            block_sent=head.number,
        )
        try:
            await self.write_ahead(signed_row)  # durable before anything reaches the wire
        except ApplianceError as exc:  # e.g. the store's WriteAheadFailed: never send unjournaled
            self.nonces.release(nonce)
            await self.emit(
                _replace(
                    signed_row, status=TradeStatus.DROPPED, reason=f"write-ahead failed: {exc}"
                )
            )
            return None
        await self.emit(signed_row)
        try:
            await self.send_rpc.send_raw_transaction(signed.raw)
        except NodeError as exc:
            self.nonces.release(nonce)
            if "nonce" in exc.message.lower():
                await self.resync_nonce()
            await self.emit(
                _replace(
                    signed_row, status=TradeStatus.DROPPED, reason=f"send refused: {exc.message}"
                )
            )
            return None
        except RpcUnavailable:
            pass  # outcome unknown: it may be in the pool; the tracker rebroadcasts
        await self.emit(_replace(signed_row, status=TradeStatus.SENT))
        return flight

    async def resync_nonce(self) -> None:
        assert self.nonces is not None
        self.nonces = NonceManager(await self.rpc.get_transaction_count(self.sender, "pending"))

    async def _paper(
        self,
        order: OrderApproved,
        base: TradeUpdated,
        data: bytes,
        head: Head,
        fees: Fees,
        profit: int,
    ) -> None:
        try:
            gas_used = await self.rpc.estimate_gas(self._call(data))
        except (NodeError, RpcUnavailable):
            gas_used = order.candidate.gas_estimate
        try:
            self.latch.check()  # paper trades stop with the kill switch too
        except SigningHalted as exc:
            await self.emit(_replace(base, reason=f"kill_switch: {exc}"))
            return None
        price = _effective_price(fees, head)
        fill = fill_from_simulation(
            profit=profit,
            gas_used=gas_used,
            gas_price=price,
            base_token=order.candidate.base_token,
            expected_profit=order.candidate.gross_profit,
            gas_to_base=self.gas_to_base(order.candidate, price),
            block=head.number,
        )
        await self.emit(fill_update(base, fill, TradeStatus.PAPER, block_sent=head.number))
        return None


def _effective_price(fees: Fees, head: Head) -> int:
    if fees.gas_price is not None:
        return fees.gas_price
    return min(int(fees.max_fee or 0), (head.base_fee or 0) + int(fees.tip or 0))


def _replace(update: TradeUpdated, **changes: Any) -> TradeUpdated:
    return dataclasses.replace(update, **changes)


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
