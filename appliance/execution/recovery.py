"""After a restart: settle the journal's unfinished trades from the chain and resync the nonce.

For each trade the journal holds as ``signed``/``sent`` (latest row per order):

* a receipt exists → accounted as mined/reverted (or dropped, if it was our cancellation);
* the node still pools the transaction → tracked again (rebuilt from ``eth_getTransactionByHash``);
* unknown to the node and its nonce already used → dropped (another transaction took the nonce);
* unknown and the nonce still free → dropped: it never reached the node (killed before the send).

Private and bundle sends (the SIGNED row's reason says ``bundle: deadline block N`` /
``private: ...``) are unknown to the public node while a relay holds them: while the head has not
passed their deadline block they may still land, so they are tracked again (watched until the
deadline; a restart cannot resubmit: the raw transaction is not journaled) and their nonce stays
reserved. Past the deadline with the nonce free, they are dropped.

The next nonce is then the node's ``eth_getTransactionCount(pending)`` — no gap, no reuse — or
one above the highest nonce a private/bundle send may still take, whichever is higher.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from appliance.chain.errors import ChainDataError
from appliance.events import TradeStatus, TradeUpdated
from appliance.execution.accounting import GasToBase
from appliance.execution.bundles import submission_of
from appliance.execution.fees import Fees
from appliance.execution.nonce import NonceManager
from appliance.execution.pipeline import InFlight, Pipeline
from appliance.execution.tracker import settle
from appliance.modes import Mode

__all__ = ["UNFINISHED", "recover", "trade_from_row"]

UNFINISHED = frozenset({TradeStatus.SIGNED, TradeStatus.SENT})


def trade_from_row(row: Mapping[str, Any] | TradeUpdated) -> TradeUpdated:
    """A journal ``trades`` row (``Journal.pending_trades()``) as the TradeUpdated it records."""
    if isinstance(row, TradeUpdated):
        return row
    mode = row.get("mode") or "NORMAL"
    return TradeUpdated(
        order_id=str(row["order_id"]),
        status=TradeStatus(row["status"]),
        mode=Mode[mode] if isinstance(mode, str) else Mode(mode),
        tx_hash=row.get("tx_hash"),
        nonce=None if row.get("nonce") is None else int(row["nonce"]),
        amount_in=int(row.get("amount_in") or 0),
        expected_profit=int(row.get("expected_profit") or 0),
        block_sent=None if row.get("block_sent") is None else int(row["block_sent"]),
        base_token=row.get("base_token"),
        reason=str(row.get("reason") or ""),
    )


async def recover(
    pipe: Pipeline, pending: Iterable[TradeUpdated | Mapping[str, Any]]
) -> list[InFlight]:
    """Reconcile ``pending`` (TradeUpdated or journal rows), set ``pipe.nonces``; return the
    flights still to track."""
    rows = [t for t in map(trade_from_row, pending) if t.status in UNFINISHED and t.tx_hash]
    to_track: list[InFlight] = []
    reserved = -1  # the highest nonce a private/bundle send in flight may still take
    if rows:
        latest = await pipe.rpc.get_transaction_count(pipe.sender, "latest")
        head = (await pipe.head()).number
    for row in rows:
        tx = await _transaction(pipe, row.tx_hash)
        private = submission_of(row.reason)
        if tx is None and private is not None and row.nonce is not None:
            mode, deadline, coinbase_wei = private
            receipt = await pipe.rpc.get_transaction_receipt(row.tx_hash)
            if receipt is not None or (head < deadline and row.nonce >= latest):
                flight = _private_flight(pipe, row, mode, deadline, coinbase_wei)
                if receipt is not None:
                    await settle(pipe, flight, receipt)
                else:
                    to_track.append(flight)
                    reserved = max(reserved, row.nonce)
                continue
        if tx is not None:
            flight = _flight(pipe, row, tx)
            if private is not None:  # mined (or public after a fallback): its payment counts
                flight.coinbase_wei = private[2]
            receipt = await pipe.rpc.get_transaction_receipt(row.tx_hash)
            if receipt is not None:
                await settle(pipe, flight, receipt)
            else:
                to_track.append(flight)
            continue
        if row.nonce is not None and row.nonce < latest:
            reason = f"nonce {row.nonce} used by another transaction (found after restart)"
        else:
            reason = "never reached the node (found after restart)"
        await pipe.finish(dataclasses.replace(row, status=TradeStatus.DROPPED, reason=reason))
    pending_count = await pipe.rpc.get_transaction_count(pipe.sender, "pending")
    pipe.nonces = NonceManager(max(pending_count, reserved + 1))
    return to_track


def _private_flight(
    pipe: Pipeline, row: TradeUpdated, mode: str, deadline: int, coinbase_wei: int
) -> InFlight:
    """A private/bundle send rebuilt from its journal row: watched until ``deadline``."""
    assert row.tx_hash is not None and row.nonce is not None
    return InFlight(
        order_id=row.order_id,
        mode=row.mode,
        to=pipe.executor,
        data=b"",
        gas_limit=pipe.ex.gas_limit,
        nonce=row.nonce,
        fees=Fees(),
        block_sent=row.block_sent or 0,
        amount_in=row.amount_in,
        expected_profit=row.expected_profit,
        gas_to_base=GasToBase(pipe.native_token),
        base_token=row.base_token,
        raw=b"",
        hashes=[row.tx_hash.lower()],
        deadline=deadline,
        submit=mode,
        coinbase_wei=coinbase_wei,
        target=deadline,  # the last block it may land in: no resubmission after a restart
    )


async def _transaction(pipe: Pipeline, tx_hash: str) -> dict[str, Any] | None:
    """``eth_getTransactionByHash`` through the pool, shape-checked (None: unknown to the node)."""
    raw = await pipe.rpc.call("eth_getTransactionByHash", [tx_hash])
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("hash"), str):
        raise ChainDataError(f"eth_getTransactionByHash {tx_hash}: malformed answer {raw!r:.80}")
    return raw


def _flight(pipe: Pipeline, row: TradeUpdated, tx: dict[str, Any]) -> InFlight:
    if tx.get("maxFeePerGas") is not None:
        fees = Fees(max_fee=int(tx["maxFeePerGas"], 16), tip=int(tx["maxPriorityFeePerGas"], 16))
    else:
        fees = Fees(gas_price=int(tx["gasPrice"], 16))
    data = bytes.fromhex(str(tx.get("input") or tx.get("data") or "0x")[2:])
    is_cancel = not data and str(tx.get("to", "")).lower() == pipe.sender.lower()
    tx_hash = str(tx["hash"]).lower()
    return InFlight(
        order_id=row.order_id,
        mode=row.mode,
        to=pipe.executor,
        data=data,
        gas_limit=int(tx["gas"], 16),
        nonce=int(tx["nonce"], 16),
        fees=fees,
        block_sent=row.block_sent or 0,
        amount_in=row.amount_in,
        expected_profit=row.expected_profit,
        gas_to_base=GasToBase(pipe.native_token),
        base_token=row.base_token,
        raw=b"",
        hashes=[tx_hash],
        cancel_hash=tx_hash if is_cancel else None,
        stage=2 if is_cancel else 0,
    )
