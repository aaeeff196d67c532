"""Following a sent transaction to its receipt; replacing, cancelling or rebroadcasting it.

Escalation when no receipt arrives within ``execution.receipt_timeout_s``:

1. replace: the same calldata and nonce with fees bumped 15% (skipped when the executor's
   deadline block has passed: the replacement would only revert);
2. cancel: a 0-value transfer to ourselves with the same nonce and fees bumped again;
3. then rebroadcast the latest raw transaction at every timeout (a node may have lost it).

Replacing and cancelling sign, so both check the kill-switch latch first; when it is tripped the
tracker only rebroadcasts what was already signed. The first receipt of any hash sent for the
nonce settles the trade; if the nonce is consumed by none of ours, the trade is dropped.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import trio

from appliance.events import TradeStatus, TradeUpdated
from appliance.execution.accounting import fill_from_receipt
from appliance.execution.calldata import decode_revert
from appliance.execution.errors import NodeError, RpcUnavailable
from appliance.execution.fees import bump
from appliance.execution.pipeline import InFlight, Pipeline, fill_update
from appliance.safety import SigningHalted

__all__ = ["revert_reason", "settle", "track"]


async def track(pipe: Pipeline, flight: InFlight) -> TradeUpdated:
    """Poll until one of the flight's hashes has a receipt; emit and return the final update."""
    timeout = pipe.ex.receipt_timeout_s
    due = trio.current_time() + timeout
    while True:
        try:
            for tx_hash in flight.hashes:
                receipt = await pipe.rpc.get_transaction_receipt(tx_hash)
                if receipt is not None:
                    return await settle(pipe, flight, receipt)
            if trio.current_time() >= due:
                if await pipe.rpc.get_transaction_count(pipe.sender, "latest") > flight.nonce:
                    return await _consumed_elsewhere(pipe, flight)
                await _escalate(pipe, flight)
                due = trio.current_time() + timeout
        except (RpcUnavailable, NodeError):
            pass  # the node is away: keep waiting, the chain decides
        await trio.sleep(pipe.ex.receipt_poll_s)


def _base(flight: InFlight) -> TradeUpdated:
    return TradeUpdated(
        order_id=flight.order_id,
        status=TradeStatus.SENT,
        mode=flight.mode,
        tx_hash=flight.hashes[-1],
        nonce=flight.nonce,
        amount_in=flight.amount_in,
        expected_profit=flight.expected_profit,
        block_sent=flight.block_sent,
        base_token=flight.base_token,
    )


async def settle(pipe: Pipeline, flight: InFlight, receipt: dict[str, Any]) -> TradeUpdated:
    tx_hash = str(receipt["transactionHash"]).lower()
    fill = fill_from_receipt(
        receipt,
        executor=flight.to,
        expected_profit=flight.expected_profit,
        gas_to_base=flight.gas_to_base,
        base_token=flight.base_token,
    )
    base = dataclasses.replace(_base(flight), tx_hash=tx_hash)
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
        update = fill_update(base, fill, TradeStatus.MINED)
    else:
        update = fill_update(
            base, fill, TradeStatus.REVERTED, reason=await revert_reason(pipe, flight, receipt)
        )
    await pipe.emit(update)
    return update


async def revert_reason(pipe: Pipeline, flight: InFlight, receipt: dict[str, Any]) -> str:
    """Replay the reverted call on the state of its block to read the reason."""
    if int(receipt["gasUsed"], 16) >= flight.gas_limit:
        return "out of gas"
    call = {
        "from": pipe.sender,
        "to": flight.to,
        "data": "0x" + flight.data.hex(),
        "gas": hex(flight.gas_limit),
    }
    try:
        await pipe.rpc.eth_call(call, int(receipt["blockNumber"], 16))
    except NodeError as exc:
        return decode_revert(exc.data) if exc.data else (exc.message or "reverted (no reason)")
    except RpcUnavailable:
        return "reverted (reason unknown: node unavailable)"
    return "reverted (state changed within the block; a replay after it succeeds)"


async def _consumed_elsewhere(pipe: Pipeline, flight: InFlight) -> TradeUpdated:
    update = dataclasses.replace(
        _base(flight),
        status=TradeStatus.DROPPED,
        reason=f"nonce {flight.nonce} used by another transaction",
    )
    await pipe.emit(update)
    return update


async def _escalate(pipe: Pipeline, flight: InFlight) -> None:
    head = await pipe.head()
    if flight.stage == 0 and flight.deadline and head.number > flight.deadline:
        flight.stage = 1  # a replacement would revert on the deadline: cancel at once
    new_fees = bump(flight.fees, pipe.ex) if flight.stage < 2 else None
    if new_fees is not None:
        try:
            if flight.stage == 0:
                signed = pipe.sign(flight.data, new_fees, flight.nonce)
                reason = "replaced: fees bumped"
            else:
                signed = pipe.sign_cancel(new_fees, flight.nonce)
                flight.cancel_hash = signed.hash
                reason = "cancelling: replaced by a 0-value transfer"
        except SigningHalted:
            new_fees = None
        else:
            flight.stage += 1
            flight.fees, flight.raw = new_fees, signed.raw
            flight.hashes.append(signed.hash)
            update = dataclasses.replace(_base(flight), status=TradeStatus.SIGNED, reason=reason)
            await pipe.write_ahead(update)
            await pipe.emit(update)
            with contextlib.suppress(NodeError):  # e.g. the original was mined meanwhile
                await pipe.send_rpc.send_raw_transaction(signed.raw)
            await pipe.emit(dataclasses.replace(update, status=TradeStatus.SENT))
            return
    if not flight.raw:
        return  # rebuilt after a restart: nothing signed to rebroadcast
    with contextlib.suppress(NodeError):
        await pipe.send_rpc.send_raw_transaction(flight.raw)  # rebroadcast what is signed
