"""The periodic check of the Sync-log path, off the block's way to a signature.

Every ``chain.full_refresh_blocks`` blocks the reserves the logs have built up *including that
block's own logs* are compared with every pool's ``getReserves()`` at that very block (read by
its hash). The read (hundreds of calls, ~30 ms at 500 pools) used to sit on the block's path:
that block's order waited for it. Now the block goes out as any other and the check runs a
short while later (:func:`~appliance.chain.service.swaps_delay_s`: after the order was made,
before the next block), as a background task of the chain subsystem:

- they agree: logged at debug, nothing else;
- they disagree: logged as an error, and the chain task refreshes every pool fully at its next
  block (the full values win there, as they did at the check block before);
- the read failed: logged, and the check is made again at the next block;
- a reorg, or a streamed Sync log that came after its block was applied, since the snapshot:
  the comparison would not be like for like; it is dropped (both refresh fully anyway).

One check at a time: one still running when the next is due is not doubled (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import trio

from appliance.chain.errors import ChainError
from appliance.chain.pool import RpcPool
from appliance.chain.reserves import fetch_reserves_full
from appliance.chain.stream import StreamedBlocks
from appliance.events import BlockSeen, PoolInfo

__all__ = ["RefreshCheck", "compare_reserves"]

log = logging.getLogger(__name__)


def compare_reserves(
    known: dict[str, tuple[int, int]], full: dict[str, tuple[int, int]], block: int
) -> bool:
    """Log (as an error) and return whether the Sync-log reserves ``known`` disagree with the
    full read ``full`` of ``block``. Only pools the logs have followed since the last refresh
    count: a pool discovered since (or one whose getReserves failed then) has nothing to
    compare with."""
    differ = [a for a in full if a in known and known[a] != full[a]]
    if differ:
        log.error(
            "block %d: Sync-log reserves disagree with the full refresh for %d pools (e.g. %s)",
            block,
            len(differ),
            differ[:3],
        )
    return bool(differ)


class RefreshCheck:
    """The chain task's periodic check, run beside it (see the module's doc)."""

    def __init__(
        self,
        rpc: RpcPool,
        streamed: StreamedBlocks,
        *,
        multicall: str | None,
        delay_s: float,
    ) -> None:
        self.rpc = rpc
        self.streamed = streamed
        self.multicall = multicall
        self.delay_s = delay_s
        self.disagreed = False  # the chain task: refresh fully at the next block (and clear)
        self.failed = False  # the chain task: check again at the next block (and clear)
        self.checked = 0  # checks that compared (agreed or not)
        self._epoch = 0
        self._running = False

    def reorged(self) -> None:
        """A reorg: a check under way compares with a block that may be gone."""
        self._epoch += 1

    def offer(
        self,
        nursery: trio.Nursery,
        block: BlockSeen,
        pools: Sequence[PoolInfo],
        known: dict[str, tuple[int, int]],
    ) -> None:
        """Check ``block``: ``known`` is what the logs built up to and including it (copied)."""
        if self._running:
            log.warning(
                "refresh check of block %d not started: the previous one is still running",
                block.number,
            )
            self.failed = True
            return
        self._running = True
        nursery.start_soon(
            self._run, block, tuple(pools), dict(known), self._epoch, self.streamed.late_logs
        )

    async def _run(
        self,
        block: BlockSeen,
        pools: tuple[PoolInfo, ...],
        known: dict[str, tuple[int, int]],
        epoch: int,
        late_logs: int,
    ) -> None:
        try:
            await trio.sleep(self.delay_s)
            if epoch != self._epoch:
                return
            try:
                full = await fetch_reserves_full(
                    self.rpc, block.hash, pools, multicall=self.multicall
                )
            except ChainError as exc:
                log.warning(
                    "refresh check of block %d failed (again next block): %s", block.number, exc
                )
                self.failed = True
                return
            if epoch != self._epoch or late_logs != self.streamed.late_logs:
                log.info(
                    "refresh check of block %d dropped: a reorg or a late log since", block.number
                )
                return
            self.checked += 1
            if compare_reserves(known, full, block.number):
                self.disagreed = True
            else:
                log.debug(
                    "block %d: the full refresh check agrees for %d pools", block.number, len(full)
                )
        finally:
            self._running = False
