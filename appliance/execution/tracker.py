"""Following a sent transaction to its receipt; replacing, cancelling or rebroadcasting it.

Escalation when no receipt arrives within ``execution.receipt_timeout_s``:

1. replace: the same calldata and nonce with fees bumped 15% (skipped when the executor's
   deadline block has passed: the replacement would only revert);
2. cancel: a 0-value transfer to ourselves with the same nonce and fees bumped again;
3. then rebroadcast the latest raw transaction at every timeout (a node may have lost it).

After the kill switch nothing is sent: every send (replacement, cancellation, rebroadcast) goes
through :meth:`Pipeline.send`, which checks the latch right before the call. A transaction already
on the wire may still be mined (its deadline block bounds when); the tracker keeps polling and
accounts whatever happens. The first receipt of any hash sent for the nonce settles the trade; if
the nonce is consumed by none of ours, the trade is dropped. A malformed receipt (the chain
package validates it) is a logged rejection: polling goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from typing import Any

import trio

from appliance.chain.errors import ChainError
from appliance.errors import ApplianceError
from appliance.events import TradeStatus, TradeUpdated
from appliance.execution.accounting import Fill, fill_from_receipt
from appliance.execution.bundles import PRIVATE_MODES, track_private
from appliance.execution.calldata import decode_revert
from appliance.execution.fees import bump
from appliance.execution.pipeline import InFlight, Pipeline, fill_update
from appliance.execution.rpc import SendOutcome, call_error, classify_send_error
from appliance.safety import SigningHalted

__all__ = ["revert_reason", "settle", "track"]

log = logging.getLogger(__name__)


async def track(pipe: Pipeline, flight: InFlight) -> TradeUpdated:
    """Poll until one of the flight's hashes has a receipt; emit and return the final update.

    Private and bundle flights never escalate publicly: :func:`bundles.track_private`."""
    if flight.submit in PRIVATE_MODES:
        return await track_private(pipe, flight, settle)
    timeout = pipe.ex.receipt_timeout_s
    due = trio.current_time() + timeout
    while True:
        try:
            for tx_hash in flight.hashes:
                receipt = await pipe.rpc.get_transaction_receipt(tx_hash)
                if receipt is not None:
                    try:
                        return await settle(pipe, flight, receipt)
                    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                        log.warning(
                            "trade %s: receipt of %s rejected (malformed: %s: %s); polling on",
                            flight.order_id,
                            tx_hash,
                            type(exc).__name__,
                            exc,
                        )
            if trio.current_time() >= due:
                if await pipe.rpc.get_transaction_count(pipe.sender, "latest") > flight.nonce:
                    return await _consumed_elsewhere(pipe, flight)
                await _escalate(pipe, flight)
                due = trio.current_time() + timeout
        except ChainError as exc:  # the node is away or its answer was rejected: keep waiting
            log.warning("trade %s: tracking: %s", flight.order_id, exc)
        await trio.sleep(pipe.ex.receipt_poll_s)


async def settle(pipe: Pipeline, flight: InFlight, receipt: dict[str, Any]) -> TradeUpdated:
    tx_hash = str(receipt["transactionHash"]).lower()
    fill = fill_from_receipt(
        receipt,
        executor=flight.to,
        expected_profit=flight.expected_profit,
        gas_to_base=flight.gas_to_base,
        base_token=flight.base_token,
    )
    base = dataclasses.replace(flight.update(), tx_hash=tx_hash)
    if tx_hash == flight.cancel_hash:
        update = fill_update(
            base,
            dataclasses.replace(
                fill,
                realized_profit=0,
                net_profit=-flight.gas_to_base(flight.base_token or "", fill.gas_cost),
                slippage_bps=0.0,
                value_ref=-fill.gas_cost,  # native wei = reference-token wei, exact
            ),
            TradeStatus.DROPPED,
            reason="cancelled: not mined in time",
        )
    elif fill.success:
        paid = (
            {"reason": f"coinbase: paid {flight.coinbase_wei} wei"} if flight.coinbase_wei else {}
        )
        update = fill_update(base, _paid(flight, fill), TradeStatus.MINED, **paid)
    else:
        update = fill_update(
            base, fill, TradeStatus.REVERTED, reason=await revert_reason(pipe, flight, receipt)
        )
    await pipe.finish(update)
    return update


def _paid(flight: InFlight, fill: Fill) -> Fill:
    """A bundle's coinbase payment (native wei, paid by execute_paying on success) is a cost of
    the trade like its gas: off the net profit and the reference value."""
    if not flight.coinbase_wei:
        return fill
    paid = flight.coinbase_wei
    return dataclasses.replace(
        fill,
        net_profit=fill.net_profit - flight.gas_to_base(flight.base_token or "", paid),
        value_ref=None if fill.value_ref is None else fill.value_ref - paid,
    )


async def revert_reason(pipe: Pipeline, flight: InFlight, receipt: dict[str, Any]) -> str:
    """Replay the reverted call on the state of its block to read the reason."""
    if int(receipt["gasUsed"], 16) >= flight.gas_limit:
        return "out of gas"
    try:
        await pipe.rpc.eth_call(
            flight.to, flight.data, int(receipt["blockNumber"], 16), sender=pipe.sender
        )
    except ChainError as exc:
        err = call_error(exc)
        if err is None:
            return "reverted (reason unknown: node unavailable)"
        reason = getattr(err, "reason", "")
        return reason or (decode_revert(err.data) if err.data else err.message or "reverted")
    return "reverted (state changed within the block; a replay after it succeeds)"


async def _consumed_elsewhere(pipe: Pipeline, flight: InFlight) -> TradeUpdated:
    update = dataclasses.replace(
        flight.update(),
        status=TradeStatus.DROPPED,
        reason=f"nonce: {flight.nonce} used by another transaction",
    )
    await pipe.finish(update)
    return update


async def _escalate(pipe: Pipeline, flight: InFlight) -> None:
    if pipe.latch.tripped:  # after the press: nothing new is signed, nothing is sent
        pipe.stats.sends_held += 1
        return
    head = await pipe.head()
    if flight.stage == 0 and flight.deadline and head.number > flight.deadline:
        flight.stage = 1  # a replacement would revert on the deadline: cancel at once
    new_fees = bump(flight.fees, pipe.ex) if flight.stage < 2 else None
    if new_fees is not None:
        try:
            if flight.stage == 0:
                signed = pipe.sign(flight.data, new_fees, flight.nonce, flight.gas_limit)
                reason = "replaced: fees bumped"
            else:
                signed = pipe.sign_cancel(new_fees, flight.nonce)
                reason = "cancelling: replaced by a 0-value transfer"
        except SigningHalted:
            pipe.stats.sends_held += 1
            return
        update = dataclasses.replace(
            flight.update(), status=TradeStatus.SIGNED, tx_hash=signed.hash, reason=reason
        )
        try:
            await pipe.write_ahead(update)  # the new hash is journaled before it is on the wire
        except ApplianceError as exc:
            log.error("trade %s: %s not journaled, not sent: %s", flight.order_id, reason, exc)
            return
        if not await _send(pipe, flight, signed.raw):
            # the journal must again name what is on the wire: the last hash actually sent
            with contextlib.suppress(ApplianceError):
                await pipe.write_ahead(
                    dataclasses.replace(flight.update(), reason=f"not sent: {reason}")
                )
            return
        flight.stage += 1
        if flight.stage == 2:
            flight.cancel_hash = signed.hash
        flight.fees, flight.raw = new_fees, signed.raw
        flight.hashes.append(signed.hash)
        await pipe.emit(update)
        await pipe.emit(dataclasses.replace(update, status=TradeStatus.SENT))
        return
    if flight.raw:  # empty when rebuilt after a restart: nothing signed to rebroadcast
        await _send(pipe, flight, flight.raw)


async def _send(pipe: Pipeline, flight: InFlight, raw: bytes) -> bool:
    """Send (latch checked right before); False when nothing went out: held by the latch, or
    refused (e.g. the original was mined meanwhile: "nonce too low")."""
    try:
        await pipe.send(raw)
    except SigningHalted:
        return False
    except ChainError as exc:
        refusal = classify_send_error(exc)
        if refusal.outcome is SendOutcome.KNOWN:
            return True
        log.info("trade %s: send %s (%s)", flight.order_id, refusal.kind, refusal.message)
        return refusal.outcome is SendOutcome.UNKNOWN
    return True
