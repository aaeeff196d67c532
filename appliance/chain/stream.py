"""Streaming chain input: ``eth_subscribe`` to ``newHeads`` and the tracked pools' ``Sync`` and
``Swap`` logs.

One :func:`run_stream` task per endpoint with a WebSocket URL. It opens its own connection,
subscribes to ``newHeads`` and then ``logs`` (the watched pools' addresses, topics ``Sync`` or
``Swap``: one subscription), and
hands every head to the head follower (which links, deduplicates across endpoints, backfills gaps
over HTTP and detects reorgs exactly as for polled heads). Before it hands a head on, it records
what the subscription told about that block in :class:`StreamedBlocks`:

* the header's ``logsBloom`` — when the ``Sync`` topic or none of the pools can be in it, the
  block changed no reserves: known exactly, without a request;
* the ``Sync`` logs of the watched pools that arrived *before* the head on the connection (the
  head handler first takes every log the reader already queued). A node writes a block's logs as
  one burst; nodes do not promise whether before or after the head (Anvil does either). The
  block's reserves count as known when every watched pool the bloom admits has its ``Sync`` log
  among those — then the logs came before the head, burst complete. Otherwise (logs after the
  head, or a bloom false positive) the reserves step makes one ``eth_getLogs`` request, as when
  polling. A log that still arrives after its block was applied from the stream sets
  ``StreamedBlocks.late`` and the chain task refreshes every pool fully at the next block.
* the ``Swap`` logs that arrived before the head, with the ``Sync`` logs (market intelligence):
  a V2 pool emits ``Sync`` then ``Swap`` in the same call, so when the block's ``Sync`` logs are
  complete (above) so are its ``Swap`` logs — :meth:`StreamedBlocks.swaps`, no request.

Faults of the endpoint: a refused or broken connection, a malformed notification, and a silent
subscription — no head for 3 block times while the chain moved on (another endpoint or a probe
saw a higher head) — close the connection, mark the endpoint's stream ``down`` and reconnect with
exponential backoff; meanwhile the follower polls. The stream is ``live`` once subscribed.
"""

from __future__ import annotations

import logging
import random
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import trio

from appliance.chain.bloom import bloom_bits, bloom_from_hex, may_contain
from appliance.chain.endpoint import Endpoint
from appliance.chain.errors import ChainError, MalformedResponse, RpcTransportError
from appliance.chain.pool import RpcPool
from appliance.chain.reserves import SWAP_TOPIC, SYNC_TOPIC, decode_reserves
from appliance.chain.values import Log, block_from_json, log_from_json
from appliance.chain.ws import WsConnection, open_ws

__all__ = ["StreamedBlocks", "WatchedPools", "run_stream"]

log = logging.getLogger(__name__)

_SYNC_BITS = bloom_bits(bytes.fromhex(SYNC_TOPIC[2:]))
_KEEP_BLOCKS = 256
_BACKOFF_BASE_S = 0.25
_BACKOFF_CAP_S = 10.0


def _positions(mask: int) -> list[int]:
    """A bloom mask's bits as indices into ``np.unpackbits`` of the big-endian 256 bytes."""
    bits = [2047 - k for k in range(2048) if mask >> k & 1]
    return (bits * 3)[:3]  # 3 bits, or fewer when two collide (repeated: same test)


class WatchedPools:
    """The pool addresses whose ``Sync`` logs are wanted (grows with discovery)."""

    def __init__(self, addresses: Sequence[str] = ()) -> None:
        self.version = 0
        self.addresses: tuple[str, ...] = ()
        self.masks: dict[str, int] = {}
        self._positions = np.zeros((0, 3), dtype=np.int16)
        self.update(addresses)

    def update(self, addresses: Sequence[str]) -> None:
        new = [a for a in addresses if a not in self.masks]
        if not new and self.addresses:
            return
        for address in new:
            self.masks[address] = bloom_bits(bytes.fromhex(address[2:]))
        self.addresses = tuple(self.masks)
        self._positions = np.array(
            [_positions(self.masks[a]) for a in self.addresses], dtype=np.int16
        ).reshape(-1, 3)
        self.version += 1

    def admitted(self, bloom: int) -> list[str]:
        """The watched pools whose address ``bloom`` may contain: one vectorized test per
        block (a Python loop over 2,000 pools' 2048-bit masks took a millisecond)."""
        bits = np.unpackbits(np.frombuffer(bloom.to_bytes(256, "big"), dtype=np.uint8))
        hit = bits[self._positions].all(axis=1)
        return [self.addresses[i] for i in np.flatnonzero(hit)]


@dataclass
class _Block:
    bloom: int | None = None  # set when the head arrived
    logs: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # addr -> (idx, r0, r1)
    before_head: dict[str, tuple[int, int, int]] | None = None  # the logs at the head's arrival
    swaps: dict[int, Log] = field(default_factory=dict)  # log index -> Swap log
    swaps_before_head: tuple[Log, ...] | None = None
    applied: bool = False


class StreamedBlocks:
    """What the subscriptions told about recent blocks, by block hash (owned by ``run_chain``;
    the stream tasks write, the reserves step reads)."""

    def __init__(self, watched: WatchedPools, keep: int = _KEEP_BLOCKS) -> None:
        self.watched = watched
        self.keep = keep
        self._blocks: OrderedDict[str, _Block] = OrderedDict()
        self.late = False  # a log came after its block was applied: the owner refreshes fully
        self.late_logs = 0  # how many ever did (the owner clears ``late``, this only counts)
        self.from_stream = 0  # blocks whose reserves came from the stream (no request)

    def _entry(self, block_hash: str) -> _Block:
        entry = self._blocks.get(block_hash)
        if entry is None:
            entry = self._blocks[block_hash] = _Block()
            while len(self._blocks) > self.keep:
                self._blocks.popitem(last=False)
        return entry

    def add_log(self, block_hash: str, address: str, index: int, r0: int, r1: int) -> None:
        entry = self._entry(block_hash)
        previous = entry.logs.get(address)
        if previous is not None and previous[0] == index:
            return  # the same log from another endpoint
        if entry.applied:
            self.late = True
            self.late_logs += 1
            log.warning(
                "a Sync log of %s in block %s came after the block was applied: full refresh next",
                address,
                block_hash,
            )
        if previous is None or index > previous[0]:
            entry.logs[address] = (index, r0, r1)

    def add_swap(self, entry: Log) -> None:
        block = self._entry(entry.block_hash)
        if entry.log_index in block.swaps:
            return  # the same log from another endpoint
        if block.applied:
            log.warning(
                "a Swap log of %s in block %s came after the block was applied: not offered",
                entry.address,
                entry.block_hash,
            )
        block.swaps[entry.log_index] = entry

    def add_head(self, block_hash: str, bloom: int) -> None:
        entry = self._entry(block_hash)
        if entry.bloom is None:
            entry.bloom = bloom
            entry.before_head = dict(entry.logs)
            entry.swaps_before_head = tuple(entry.swaps[i] for i in sorted(entry.swaps))

    def swaps(self, block_hash: str, pools: Sequence[str]) -> tuple[Log, ...]:
        """The ``Swap`` logs of ``pools`` that came with the block's head: complete once
        :meth:`reserves` answered for the block (the same burst as its ``Sync`` logs)."""
        entry = self._blocks.get(block_hash)
        if entry is None or not entry.swaps_before_head:
            return ()
        wanted = set(pools)
        return tuple(s for s in entry.swaps_before_head if s.address in wanted)

    def knows(self, block_hash: str) -> bool:
        entry = self._blocks.get(block_hash)
        return entry is not None and entry.bloom is not None

    def may_touch(self, block_hash: str, pools: Sequence[str]) -> bool:
        """Whether any of ``pools`` may have logged in the block (its bloom; True if unknown)."""
        entry = self._blocks.get(block_hash)
        if entry is None or entry.bloom is None:
            return bool(pools)
        return any(may_contain(entry.bloom, bloom_bits(bytes.fromhex(p[2:]))) for p in pools)

    def reserves(self, block_hash: str, pools: Sequence[str]) -> dict[str, tuple[int, int]] | None:
        """The block's reserve changes among ``pools`` when the stream knows them exactly."""
        entry = self._blocks.get(block_hash)
        if entry is None or entry.bloom is None:
            return None
        if len(entry.logs) != len(entry.before_head or ()) or entry.logs != entry.before_head:
            # the burst was split by the head (a pool's second Sync came after it): the logs
            # before the head are not the block's last word, only a request is
            return None
        if len(entry.swaps) != len(entry.swaps_before_head or ()):
            return None  # likewise a Swap log after the head: the swaps would be incomplete
        out: dict[str, tuple[int, int]] = {}
        if may_contain(entry.bloom, _SYNC_BITS):
            wanted = set(pools)
            if not wanted <= self.watched.masks.keys():
                return None  # not subscribed (yet): only a request knows
            before = entry.before_head or {}
            for p in self.watched.admitted(entry.bloom):
                if p not in wanted:
                    continue
                found = before.get(p)
                if found is None:
                    return None  # in flight, or a bloom false positive
                out[p] = found[1:]
        entry.applied = True
        self.from_stream += 1
        return out


def _silence_s(block_time_s: float) -> float:
    return 3 * block_time_s


async def run_stream(
    rpc: RpcPool,
    ep: Endpoint,
    heads_send: trio.MemorySendChannel,
    blocks: StreamedBlocks,
    *,
    block_time_s: float,
    timeout_s: float,
    max_message_bytes: int,
    best_head: Callable[[], int | None],
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Keep ``ep``'s subscriptions up and feed ``heads_send`` with ``(BlockSeen, Endpoint)``."""
    assert ep.ws_url is not None
    task_status.started()
    failures = 0
    rng = random.Random()
    async with heads_send:
        while True:
            try:
                await _one_connection(
                    rpc,
                    ep,
                    heads_send,
                    blocks,
                    block_time_s=block_time_s,
                    timeout_s=timeout_s,
                    max_message_bytes=max_message_bytes,
                    best_head=best_head,
                )
                reason = "connection closed"
            except (ChainError, _StreamFault) as exc:
                reason = str(exc)
            if ep.stream == "live":
                failures = 0
            rpc.set_stream(ep, "down")
            failures += 1
            delay = min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2 ** min(failures - 1, 10))
            delay *= 0.5 + 0.5 * rng.random()
            log.warning(
                "stream of %s down (%s); polling meanwhile, reconnecting in %.2f s",
                ep.host,
                reason,
                delay,
            )
            await trio.sleep(delay)


class _StreamFault(Exception):
    """The subscription misbehaved (silent, malformed): reconnect."""


async def _one_connection(
    rpc: RpcPool,
    ep: Endpoint,
    heads_send: trio.MemorySendChannel,
    blocks: StreamedBlocks,
    *,
    block_time_s: float,
    timeout_s: float,
    max_message_bytes: int,
    best_head: Callable[[], int | None],
) -> None:
    host = ep.host
    fault: list[Exception] = []  # raised bare after the nursery (not inside an ExceptionGroup)
    async with trio.open_nursery() as nursery:
        conn: WsConnection | None = None
        try:
            ws = await open_ws(
                nursery, ep.ws_url or "", timeout_s=timeout_s, max_message_bytes=max_message_bytes
            )
            conn = WsConnection(ws, host)
            nursery.start_soon(conn.run)
            await _follow(
                conn, rpc, ep, heads_send, blocks, nursery, block_time_s, timeout_s, best_head
            )
        except (ChainError, _StreamFault) as exc:
            fault.append(exc)
        finally:
            if conn is not None:
                await conn.aclose()
            nursery.cancel_scope.cancel()
    if fault:
        raise fault[0]


async def _follow(
    conn: WsConnection,
    rpc: RpcPool,
    ep: Endpoint,
    heads_send: trio.MemorySendChannel,
    blocks: StreamedBlocks,
    nursery: trio.Nursery,
    block_time_s: float,
    timeout_s: float,
    best_head: Callable[[], int | None],
) -> None:
    host = ep.host
    watched = blocks.watched
    version = watched.version
    # newHeads first: Anvil then sends a block's logs before its head far more often
    _, heads_recv = await conn.subscribe(["newHeads"], timeout_s=timeout_s)
    logs_sub, logs_recv = await _subscribe_logs(conn, watched.addresses, timeout_s)
    nursery.start_soon(_pump_logs, logs_recv, blocks, host)
    last_number = best_head()  # silence = the chain moved past this without a head from us
    rpc.set_stream(ep, "live")  # subscribed: heads come from here now
    while True:
        if watched.version != version:  # new pools: subscribe to their logs too
            old_sub = logs_sub
            version = watched.version
            logs_sub, logs_recv = await _subscribe_logs(conn, watched.addresses, timeout_s)
            nursery.start_soon(_pump_logs, logs_recv, blocks, host)
            await conn.unsubscribe(old_sub, timeout_s=timeout_s)
        raw = None
        with trio.move_on_after(_silence_s(block_time_s)):
            try:
                raw = await heads_recv.receive()
            except trio.EndOfChannel:
                raise RpcTransportError(
                    host, "eth_subscribe", f"websocket {conn.reason or 'closed'}"
                ) from None
        if raw is None:
            best = best_head()
            if best is not None and (last_number is None or best > last_number):
                raise _StreamFault(
                    f"silent: no head for {_silence_s(block_time_s):g} s while the chain"
                    f" reached {best}"
                )
            continue  # the whole chain is quiet, not this endpoint
        try:
            block = block_from_json(host, "newHeads", raw)
            bloom = bloom_from_hex(raw.get("logsBloom"))
        except (ChainError, ValueError, AttributeError) as exc:
            raise _StreamFault(f"malformed newHeads notification: {exc}") from None
        _drain(logs_recv, blocks, host)  # logs the reader queued before this head
        blocks.add_head(block.hash, bloom)
        last_number = max(last_number or 0, block.number)
        rpc.set_stream(ep, "live")
        await heads_send.send((block, ep))


async def _subscribe_logs(
    conn: WsConnection, addresses: Sequence[str], timeout_s: float
) -> tuple[str, trio.MemoryReceiveChannel]:
    params: dict = {"topics": [[SYNC_TOPIC, SWAP_TOPIC]]}
    if addresses:
        params["address"] = list(addresses)
    return await conn.subscribe(["logs", params], timeout_s=timeout_s)


def _take_log(raw: Any, blocks: StreamedBlocks, host: str) -> None:
    try:
        entry = log_from_json(host, "logs", raw)
        if entry.removed:
            return  # a reorg: the follower handles it by parent hash
        if entry.topics[:1] == (SWAP_TOPIC,):
            blocks.add_swap(entry)
            return
        if entry.topics[:1] != (SYNC_TOPIC,):
            raise MalformedResponse(host, "logs", f"unrequested topic {entry.topics[:1]}")
        r0, r1 = decode_reserves(entry.data, f"Sync log of {entry.address}")
    except ChainError as exc:
        log.warning("stream of %s: malformed log dropped: %s", host, exc)
        return
    blocks.add_log(entry.block_hash, entry.address, entry.log_index, r0, r1)


def _drain(recv: trio.MemoryReceiveChannel, blocks: StreamedBlocks, host: str) -> None:
    while True:
        try:
            raw = recv.receive_nowait()
        except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
            return
        _take_log(raw, blocks, host)


async def _pump_logs(recv: trio.MemoryReceiveChannel, blocks: StreamedBlocks, host: str) -> None:
    with suppress(trio.ClosedResourceError):
        async for raw in recv:
            _take_log(raw, blocks, host)
