"""``run_intel``: every block's swaps on the tracked pools -> who arbitraged what, for how much.

Input: :class:`~appliance.events.SwapLogsSeen` — the ``Swap`` logs the chain task already
fetched with the head's logs request (never a request per transaction here). Per block with
swaps, ONE request, ``eth_getBlockReceipts``, names each transaction's sender (``from``: the
searcher, and the journal's ``swaps.tx_sender``), contract (``to``) and gas (``gasUsed ×
effectiveGasPrice``); the block is classified once with them. An endpoint without that method
(-32601; it is then not asked again) or a failed request falls back to two: the block body for
senders and targets, then one batched ``eth_getTransactionReceipt`` for the transactions that
turned out to be arbitrages or sandwich legs. A plain swap costs no request of its own. Output per such block to the records (store, metrics, screen):
:class:`~appliance.events.SwapsSeen` (every swap) and :class:`~appliance.events.MarketIntelSeen`.

Input like any other: a log that does not decode is rejected (logged, counted in the event),
a receipt that is missing or malformed leaves that transaction's searcher unknown and its gas
at 0, logged — the block goes on.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import trio

from appliance.chain.errors import ChainError, MethodNotFound, NoHealthyEndpoint, RpcError
from appliance.events import (
    ArbitrageSeen,
    MarketIntelSeen,
    PoolInfo,
    PoolsDiscovered,
    SwapLogsSeen,
    SwapRecord,
    SwapsSeen,
)
from appliance.intel.classify import Arbitrage, BlockIntel, Kind, TxInfo, classify_block
from appliance.intel.errors import MalformedLog
from appliance.intel.swaps import SwapEvent, decode_swap

__all__ = ["IntelReader", "run_intel", "with_gas"]

log = logging.getLogger(__name__)


class IntelReader:
    """Decode, fetch receipts, classify: the task's work, separate from its channels."""

    def __init__(self, rpc, pools: Sequence[PoolInfo], ours: Collection[str]) -> None:
        self.rpc = rpc
        self.pools = {p.address.lower(): p for p in pools}
        self.ours = {a.lower() for a in ours if a}
        self.block_receipts_served = True  # until an endpoint says -32601

    def add_pools(self, pools: Sequence[PoolInfo]) -> None:
        self.pools.update({p.address.lower(): p for p in pools})

    def decode(self, logs: Sequence[Any]) -> tuple[list[SwapEvent], int]:
        swaps, rejected = [], 0
        for entry in logs:
            pool = self.pools.get(entry.address.lower())
            if pool is None or entry.removed:
                continue
            try:
                swap = decode_swap(entry, pool)
            except MalformedLog as exc:
                rejected += 1
                log.warning("intel: rejected a log of block %s: %s", entry.block_number, exc)
                continue
            if swap is not None:
                swaps.append(swap)
        return swaps, rejected

    async def tx_infos(self, tx_hashes: Sequence[str]) -> dict[str, TxInfo]:
        if not tx_hashes:
            return {}
        try:
            answers = await self.rpc.batch(
                [("eth_getTransactionReceipt", [h]) for h in tx_hashes], hedge=False
            )
        except ChainError as exc:
            log.warning("intel: receipts of %d transactions failed: %s", len(tx_hashes), exc)
            return {}
        infos = {}
        for tx_hash, answer in zip(tx_hashes, answers, strict=True):
            info = _tx_info(tx_hash, answer)
            if info is None:
                log.warning("intel: receipt of %s missing or malformed: %.80r", tx_hash, answer)
                continue
            infos[tx_hash] = info
        return infos

    async def block_receipts(self, block: int, tx_hashes: set[str]) -> dict[str, TxInfo] | None:
        """Sender, target and gas of ``tx_hashes`` from the block's receipts (one request);
        None when the endpoint cannot serve them (the caller falls back to body + receipts)."""
        if not tx_hashes:
            return {}
        if not self.block_receipts_served:
            return None
        try:
            answer = await self.rpc.call("eth_getBlockReceipts", [hex(block)])
        except ChainError as exc:
            if _method_missing(exc):
                log.info(
                    "intel: the endpoint has no eth_getBlockReceipts; body + receipts from now"
                )
                self.block_receipts_served = False
            else:
                log.warning("intel: block %s receipts failed: %s", block, exc)
            return None
        if not isinstance(answer, list):
            log.warning("intel: block %s receipts are not a list: %.80r", block, answer)
            return None
        out = {}
        for receipt in answer:
            if not isinstance(receipt, Mapping):
                continue
            tx_hash = str(receipt.get("transactionHash", "")).lower()
            if tx_hash not in tx_hashes or receipt.get("blockNumber") != hex(block):
                continue
            info = _tx_info(tx_hash, receipt)
            if info is None:
                log.warning("intel: receipt of %s malformed: %.80r", tx_hash, receipt)
                continue
            out[tx_hash] = info
        return out

    async def senders(self, block: int, tx_hashes: set[str]) -> dict[str, TxInfo]:
        """Sender and target of ``tx_hashes`` from the block body (one request), gas unknown."""
        if not tx_hashes:
            return {}
        try:
            body = await self.rpc.call("eth_getBlockByNumber", [hex(block), True])
        except ChainError as exc:
            log.warning("intel: block %s body failed: %s", block, exc)
            return {}
        txs = body.get("transactions") if isinstance(body, Mapping) else None
        if not isinstance(txs, list):
            log.warning("intel: block %s body has no transaction list: %.80r", block, body)
            return {}
        out = {}
        for tx in txs:
            info = _tx_info(tx.get("hash", "") if isinstance(tx, Mapping) else "", tx, gas=False)
            if info is not None and info.tx_hash in tx_hashes:
                out[info.tx_hash] = info
        return out

    async def read(self, event: SwapLogsSeen) -> MarketIntelSeen:
        """Classify one block (see :meth:`read_block`)."""
        return (await self.read_block(event))[0]

    async def read_block(self, event: SwapLogsSeen) -> tuple[MarketIntelSeen, SwapsSeen]:
        """Classify one block: senders from its body, gas from receipts of the classified only.

        Classified once, with the senders; the receipts then only fill in the gas of the
        arbitrages and sandwich legs found (:func:`with_gas`). Also every swap as the journal
        keeps it, with its transaction's sender.
        """
        swaps, rejected = self.decode(event.logs)
        hashes = {s.tx_hash for s in swaps}
        receipts = await self.block_receipts(event.block, hashes)
        if receipts is not None:
            intel = with_gas(classify_block(swaps, receipts, ours=self.ours), receipts, self.ours)
            return to_event(event.block, intel, rejected), self.records(
                event.block, swaps, receipts
            )
        txs = await self.senders(event.block, hashes)
        intel = classify_block(swaps, txs, ours=self.ours)
        legs = {a.tx_hash for a in intel.arbitrages}
        legs |= {t for s in intel.sandwiches for t in (s.front_tx, s.back_tx)}
        if legs:
            intel = with_gas(intel, await self.tx_infos(sorted(legs)), self.ours)
        return to_event(event.block, intel, rejected), self.records(event.block, swaps, txs)

    def records(
        self, block: int, swaps: Sequence[SwapEvent], txs: Mapping[str, TxInfo]
    ) -> SwapsSeen:
        rows = []
        for s in swaps:
            info = txs.get(s.tx_hash)
            pool = self.pools.get(s.pool.lower())
            rows.append(
                SwapRecord(
                    tx_hash=s.tx_hash,
                    log_index=s.log_index,
                    pool=s.pool,
                    sender=s.sender,
                    recipient=s.recipient,
                    zero_for_one=pool is not None and s.token_in == pool.token0,
                    amount_in=s.amount_in,
                    amount_out=s.amount_out,
                    tx_sender=None if info is None else info.sender,
                )
            )
        return SwapsSeen(block, tuple(rows))


def with_gas(
    intel: BlockIntel, receipts: Mapping[str, TxInfo], ours: Collection[str] = ()
) -> BlockIntel:
    """``intel`` with the receipts' gas in its arbitrages and sandwiches (the block is not
    classified again). A transaction without a receipt keeps the gas it had (0); an arbitrage
    whose searcher the block body did not name takes the receipt's sender and target."""
    ours_lower = {a.lower() for a in ours}

    def arbitrage(a: Arbitrage) -> Arbitrage:
        info = receipts.get(a.tx_hash)
        if info is None:
            return a
        if a.searcher:
            return dataclasses.replace(a, gas_wei=info.gas_wei)
        mine = info.sender.lower() in ours_lower or (info.to or "").lower() in ours_lower
        return dataclasses.replace(
            a,
            gas_wei=info.gas_wei,
            searcher=info.sender,
            contract=info.to,
            kind=Kind.OURS if mine else Kind.ARBITRAGE,
        )

    def gas(tx: str) -> int:
        info = receipts.get(tx)
        return 0 if info is None else info.gas_wei

    sandwiches = tuple(
        dataclasses.replace(s, gas_wei=gas(s.front_tx) + gas(s.back_tx))
        if s.front_tx in receipts or s.back_tx in receipts
        else s
        for s in intel.sandwiches
    )
    return dataclasses.replace(
        intel, arbitrages=tuple(arbitrage(a) for a in intel.arbitrages), sandwiches=sandwiches
    )


def to_event(block: int, intel: BlockIntel, rejected: int = 0) -> MarketIntelSeen:
    seen = [
        ArbitrageSeen(
            block=a.block,
            tx_hash=a.tx_hash,
            kind=str(a.kind),
            searcher=a.searcher,
            contract=a.contract,
            start_token=a.start_token,
            profit_wei=a.profit_wei,
            gas_wei=a.gas_wei,
            pools=a.pools,
        )
        for a in intel.arbitrages
    ]
    seen += [
        ArbitrageSeen(
            block=s.block,
            tx_hash=s.back_tx,
            kind=str(Kind.SANDWICH),
            searcher=s.searcher,
            contract=None,
            start_token=s.token,
            profit_wei=s.profit_wei,
            gas_wei=s.gas_wei,
            pools=(s.pool,),
            victims=s.victim_txs,
        )
        for s in intel.sandwiches
    ]
    return MarketIntelSeen(block, tuple(seen), len(intel.swaps), rejected)


def _tx_info(tx_hash: str, answer: Any, *, gas: bool = True) -> TxInfo | None:
    """A receipt (``gas``) or a block body's transaction (no gas) as TxInfo; None if malformed."""
    if isinstance(answer, RpcError) or not isinstance(answer, Mapping):
        return None
    try:
        sender = str(answer["from"])
        to = answer.get("to")
        cost = (
            int(answer["gasUsed"], 16) * int(answer.get("effectiveGasPrice") or "0x0", 16)
            if gas
            else 0
        )
    except (KeyError, TypeError, ValueError):
        return None
    if len(sender) != 42 or (to is not None and len(str(to)) != 42):
        return None
    if not isinstance(tx_hash, str) or len(tx_hash) != 66:
        return None
    return TxInfo(tx_hash.lower(), sender, None if to is None else str(to), cost)


def _method_missing(exc: ChainError) -> bool:
    """-32601 from the endpoint (or from every endpoint the pool asked)."""
    if isinstance(exc, MethodNotFound):
        return True
    return (
        isinstance(exc, NoHealthyEndpoint)
        and bool(exc.errors)
        and all(isinstance(e, MethodNotFound) for e in exc.errors)
    )


async def run_intel(
    rpc,
    pools: Sequence[PoolInfo],
    swaps_recv: trio.MemoryReceiveChannel,
    records_send: trio.MemorySendChannel,
    *,
    ours: Collection[str] = (),
    task_status=trio.TASK_STATUS_IGNORED,
) -> None:
    """Classify each block's swaps until cancelled.

    ``swaps_recv`` carries :class:`SwapLogsSeen` (from the chain task) and
    :class:`PoolsDiscovered` (pools found later: their swaps count from then on).
    """
    reader = IntelReader(rpc, pools, ours)
    task_status.started(reader)
    async for event in swaps_recv:
        if isinstance(event, PoolsDiscovered):
            reader.add_pools(event.pools)
        elif isinstance(event, SwapLogsSeen) and event.logs:
            intel, swaps = await reader.read_block(event)
            if swaps.swaps:
                await records_send.send(swaps)
            await records_send.send(intel)
