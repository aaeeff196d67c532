"""The head follower: takes heads (streamed or polled), fills gaps in order, detects reorgs.

Rationale. Every header is checked against its parent before it is passed on, so consumers see
one linked chain: ``BlockSeen`` for each block number in order, never a skipped one. When the new
head does not link to the headers we hold (the last ``history`` of them), we walk back by parent
hash until it does: that block is the common ancestor, ``ReorgDetected`` goes out, and then the
replacement blocks above the ancestor follow as ``BlockSeen`` in order. A head *lower* than ours
is treated as a stale answer (a lagging endpoint), not as a reorg; the next higher head settles it.

Heads come from two places: the subscriptions (``streams``: ``(BlockSeen, Endpoint)`` from
:func:`appliance.chain.stream.run_stream`, first arrival wins, duplicates from other endpoints
drop out because their hash is already linked) and polling (``get_block("latest")`` every
quarter block) — the follower polls while no subscription is live, and once per block time
while one is (a safety net that costs one request per quiet block; a head streamed while that
request is in flight wins at once, the poll is cancelled).

Lies caught here (the endpoint that gave the head gets a data fault, :meth:`RpcPool.mark_fault`,
and the pool fails over): a head more than ``max_lag_blocks`` *below* ours whose block is the one
we hold or does not link to our history (a head going backwards without a reorg's parent-hash
evidence); a head whose blocks below it cannot be fetched (a head from the future); a new head
whose timestamp is stale by the local clock (``chain.stale_head_s``).
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict

import trio

from appliance.chain.endpoint import Endpoint
from appliance.chain.errors import ChainError, NoHealthyEndpoint, NotFound
from appliance.chain.pool import RpcPool
from appliance.events import BlockSeen, ReorgDetected

__all__ = ["HeadFollower", "HeadHistory", "poll_interval", "run_head_follower"]

log = logging.getLogger(__name__)

HISTORY = 64
GAP_CHUNK = 100


def poll_interval(block_time_s: float) -> float:
    """How often to ask for the head: a quarter block, between 20 ms and 2 s."""
    return min(2.0, max(0.02, block_time_s / 4))


class HeadHistory:
    """The last ``size`` headers by number (owned by one follower task)."""

    def __init__(self, size: int = HISTORY) -> None:
        self.size = size
        self._by_number: OrderedDict[int, BlockSeen] = OrderedDict()

    @property
    def head(self) -> BlockSeen | None:
        return next(reversed(self._by_number.values()), None)

    def get(self, number: int) -> BlockSeen | None:
        return self._by_number.get(number)

    @property
    def oldest(self) -> int | None:
        return next(iter(self._by_number), None)

    def push(self, block: BlockSeen) -> None:
        head = self.head
        if head is not None and (block.number != head.number + 1 or block.parent_hash != head.hash):
            raise ValueError(
                f"block {block.number} {block.hash} does not extend head {head.number}"
            )
        self._by_number[block.number] = block
        while len(self._by_number) > self.size:
            self._by_number.popitem(last=False)

    def truncate_above(self, number: int) -> None:
        for n in [n for n in self._by_number if n > number]:
            del self._by_number[n]

    def __len__(self) -> int:
        return len(self._by_number)


async def _chain_down_to(rpc: RpcPool, top: BlockSeen, lowest: int) -> list[BlockSeen]:
    """``top`` and its ancestors down to number ``lowest`` (ascending), linked by parent hash.

    Gaps are fetched by number in batches; a batch that does not link (the chain moved while we
    read it) is re-read by parent hash one header at a time.
    """
    blocks = [top]
    while blocks[0].number > lowest:
        first = blocks[0]
        start = max(lowest, first.number - GAP_CHUNK)
        fetched = list(await rpc.get_blocks(range(start, first.number)))
        fetched.append(first)
        if all(fetched[i + 1].parent_hash == fetched[i].hash for i in range(len(fetched) - 1)):
            blocks[0:1] = fetched
        else:
            blocks.insert(0, await rpc.get_block(first.parent_hash))
    return blocks


class HeadFollower:
    """The follower's state machine: one poll -> the events to emit (in order)."""

    def __init__(self, rpc: RpcPool, *, history: int = HISTORY) -> None:
        self.rpc = rpc
        self.history = HeadHistory(history)

    async def poll(self) -> list[BlockSeen | ReorgDetected]:
        latest = await self.rpc.get_block("latest")
        return await self.advance(latest, self.rpc.latest_source)

    async def advance(
        self, latest: BlockSeen, source: Endpoint | None = None
    ) -> list[BlockSeen | ReorgDetected]:
        """The events that ``latest`` (a head reported by ``source``) brings, in order."""
        head = self.history.head
        if head is None:
            self.history.push(latest)
            return [latest]
        if latest.number < head.number:
            self._backwards(latest, head, source)
            return []
        if latest.hash == head.hash or self.history.get(latest.number) == latest:
            return []
        try:
            new = (
                await _chain_down_to(self.rpc, latest, head.number + 1)
                if latest.number > head.number
                else [latest]
            )
        except (NotFound, NoHealthyEndpoint) as exc:
            if source is not None and _all_not_found(exc):
                self._fault(
                    source,
                    f"head {latest.number} claimed, but the blocks below it do not exist",
                )
            raise
        if new[0].number == head.number + 1 and new[0].parent_hash == head.hash:
            for block in new:
                self.history.push(block)
            self._check_fresh(new[-1], source)
            return list(new)
        events = await self._reorg(new, head)
        self._check_fresh(new[-1], source)
        return events

    def _fault(self, source: Endpoint, reason: str) -> None:
        if self.rpc.mark_fault(source, reason):
            log.warning("endpoint %s marked faulty: %s", source.host, reason)

    def _backwards(self, latest: BlockSeen, head: BlockSeen, source: Endpoint | None) -> None:
        held = self.history.get(latest.number)
        parent = self.history.get(latest.number - 1)
        competing = (
            held is not None
            and held.hash != latest.hash
            and parent is not None
            and parent.hash == latest.parent_hash
        )  # a shorter competing branch: a reorg's evidence; the next higher head settles it
        if competing or source is None or head.number - latest.number <= self.rpc.max_lag_blocks:
            log.debug("stale head %d below ours %d ignored", latest.number, head.number)
            return
        self._fault(
            source,
            f"head went back from {head.number} to {latest.number} without a reorg",
        )

    def _check_fresh(self, block: BlockSeen, source: Endpoint | None) -> None:
        if source is None:
            return
        reason = self.rpc.stale_reason(block)
        if reason:
            self._fault(source, reason)
        elif source.fault.startswith("stale:"):
            self.rpc.clear_fault(source)

    async def _reorg(
        self, new: list[BlockSeen], old_head: BlockSeen
    ) -> list[BlockSeen | ReorgDetected]:
        oldest = self.history.oldest
        assert oldest is not None
        while True:
            first = new[0]
            known = self.history.get(first.number - 1)
            if known is not None and known.hash == first.parent_hash:
                ancestor = first.number - 1
                break
            if first.number - 1 < oldest or first.number == 0:
                # deeper than our history: the oldest header we hold is gone too
                ancestor = max(oldest - 1, 0)
                log.warning(
                    "reorg deeper than %d headers; assuming ancestor %d",
                    self.history.size,
                    ancestor,
                )
                new = [b for b in new if b.number > ancestor]
                self.history = HeadHistory(self.history.size)
                break
            new.insert(0, await self.rpc.get_block(first.parent_hash))
        self.history.truncate_above(ancestor)
        for block in new:
            self.history.push(block)
        event = ReorgDetected(common_ancestor=ancestor, old_head=old_head.number, new_head=new[-1])
        return [event, *new]


def _all_not_found(exc: BaseException) -> bool:
    if isinstance(exc, NotFound):
        return True
    return (
        isinstance(exc, NoHealthyEndpoint)
        and bool(exc.errors)
        and all(isinstance(e, NotFound) for e in exc.errors)
    )


async def _poll_unless_streamed(
    follower: HeadFollower, streams: trio.MemoryReceiveChannel
) -> list[BlockSeen | ReorgDetected]:
    """The safety-net poll, raced against the subscriptions: a head streamed while the request
    is in flight is taken at once (the poll is cancelled), never queued behind the request —
    a node answers HTTP slowly exactly while it produces a block. A poll that answered and a
    head that arrived in the same instant are both used (in that order: advance drops the
    older)."""
    got: dict[str, object] = {}

    async def poll(scope: trio.CancelScope) -> None:
        try:
            got["latest"] = (await follower.rpc.get_block("latest"), follower.rpc.latest_source)
        except ChainError as exc:  # raised bare below, not inside an ExceptionGroup
            got["error"] = exc
        scope.cancel()

    async def stream(scope: trio.CancelScope) -> None:
        try:
            got["streamed"] = await streams.receive()
        except trio.EndOfChannel:
            return  # the streams ended: the poll decides alone
        scope.cancel()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(poll, nursery.cancel_scope)
        nursery.start_soon(stream, nursery.cancel_scope)
    events: list[BlockSeen | ReorgDetected] = []
    if "latest" in got:
        events += await follower.advance(*got["latest"])  # type: ignore[misc]
    if "streamed" in got:
        events += await follower.advance(*got["streamed"])  # type: ignore[misc]
    elif "error" in got:
        raise got["error"]  # type: ignore[misc]
    return events


async def run_head_follower(
    rpc: RpcPool,
    events_send: trio.MemorySendChannel,
    *,
    block_time_s: float,
    history: int = HISTORY,
    streams: trio.MemoryReceiveChannel | None = None,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Emit ``BlockSeen`` / ``ReorgDetected`` on ``events_send`` until cancelled.

    ``streams`` carries ``(BlockSeen, Endpoint)`` heads from the subscriptions. ``task_status
    .started()`` comes after the first head was emitted. RPC failures are logged and retried with
    exponential backoff (capped at the poll interval x 8); they never end the task.
    """
    follower = HeadFollower(rpc, history=history)
    interval = poll_interval(block_time_s)
    started = False
    failures = 0
    wait = 0.0  # the first head is polled at once
    while True:
        streamed = None
        if streams is not None:
            with trio.move_on_after(wait):
                try:
                    streamed = await streams.receive()
                except trio.EndOfChannel:
                    streams = None
        elif wait:
            await trio.sleep(wait)
        try:
            if streamed is not None:
                events = await follower.advance(*streamed)
            elif streams is not None:
                events = await _poll_unless_streamed(follower, streams)
            else:
                events = await follower.poll()
        except ChainError as exc:
            failures += 1
            delay = min(interval * 8, interval * 2 ** min(failures - 1, 10))
            log.warning(
                "head %s failed (%d in a row): %s",
                "backfill" if streamed else "poll",
                failures,
                exc,
            )
            wait = delay if math.isfinite(delay) else interval
            continue
        failures = 0
        for event in events:
            await events_send.send(event)
        if not started and follower.history.head is not None:
            started = True
            task_status.started()
        # streaming live: a poll only after a quiet block time (the safety net); else poll
        wait = max(block_time_s, interval) if rpc.path == "streaming" else interval
