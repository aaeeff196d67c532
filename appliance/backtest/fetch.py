"""``backtest --fetch FROM:TO``: a range of a real chain's history into a journal, for reuse.

What the live appliance journals, rebuilt from any RPC endpoint after the fact: the configured
DEXes' pools (discovered at the range's last block), their reserves at ``FROM - 1`` (one batch of
``getReserves`` pinned to that block: needs an endpoint that serves historical state), every
``Sync`` log of ``FROM..TO`` (``eth_getLogs`` over chunks of blocks, the pools' addresses in
batches), and the headers of the blocks that changed something (base fee and timestamp, for
gas and days). Written with the store's own :class:`~appliance.store.journal.Journal`, so the
result is a journal like any other: ``backtest --journal`` replays it.

Resumable: each chunk is committed with the last block it covered (``state`` key
``backtest.fetched_to``); a second run with the same range continues where the first stopped. A
journal that holds another range or other pools is refused rather than mixed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from appliance.backtest.errors import BacktestError
from appliance.chain.discovery import discover
from appliance.chain.reserves import SYNC_TOPIC, decode_reserves, fetch_reserves_full
from appliance.events import BlockSeen, PoolInfo
from appliance.store.journal import Journal

__all__ = ["FetchSummary", "fetch_history", "print_progress"]

_RANGE_KEY = "backtest.range"
_DONE_KEY = "backtest.fetched_to"
LOG_BLOCKS = 500  # blocks per eth_getLogs request
LOG_ADDRESSES = 200  # pool addresses per eth_getLogs request


@dataclass(frozen=True, slots=True)
class FetchSummary:
    journal: Path
    pools: int
    blocks_changed: int
    sync_logs: int
    requests: int
    resumed_from: int | None


def print_progress(done: int, total: int) -> None:
    """A one-line progress bar on stderr (for a terminal; harmless in a log)."""
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\rfetch [{'#' * filled}{'.' * (width - filled)}] {done}/{total} blocks")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


async def fetch_history(
    rpc,
    cfg,
    journal_path: Path,
    *,
    from_block: int,
    to_block: int,
    progress: Callable[[int, int], None] | None = None,
) -> FetchSummary:
    """Fetch ``from_block..to_block`` into ``journal_path`` (created or resumed)."""
    if not 0 < from_block <= to_block:
        raise BacktestError(f"--fetch range must be 0 < FROM <= TO, not {from_block}:{to_block}")
    requests = 0
    with Journal(journal_path) as journal:
        wanted = [from_block, to_block]
        saved = journal.load_state(_RANGE_KEY)
        resumed_from = None
        if saved is None:
            tokens, pools = await discover(rpc, cfg.dex, _tokens(cfg), block=to_block)
            requests += 1
            if not pools:
                raise BacktestError(f"no pools of the configured DEXes exist at block {to_block}")
            with journal.transaction(durable=True):
                journal.upsert_tokens(tokens)
                journal.upsert_pools(_pool_rows(pools))
                journal.save_state(_RANGE_KEY, wanted)
            start = await fetch_reserves_full(rpc, from_block - 1, pools)
            requests += 1
            ids = journal.pool_ids()
            with journal.transaction(durable=True):
                journal.add_reserves(
                    [(from_block - 1, ids[a], str(r0), str(r1)) for a, (r0, r1) in start.items()]
                )
                journal.save_state(_DONE_KEY, from_block - 1)
        elif list(saved) != wanted:
            raise BacktestError(
                f"{journal_path} holds blocks {saved[0]}:{saved[1]}, not {from_block}:{to_block}: "
                "fetch another range into another file"
            )
        else:
            resumed_from = int(journal.load_state(_DONE_KEY)) + 1
        ids = journal.pool_ids()
        pools = list(ids)
        done = int(journal.load_state(_DONE_KEY))
        changed = logs = 0
        while done < to_block:
            hi = min(done + LOG_BLOCKS, to_block)
            rows, blocks, n_logs, n_req = await _chunk(rpc, pools, ids, done + 1, hi)
            requests += n_req
            with journal.transaction(durable=True):
                journal.add_blocks([(b, time.time()) for b in blocks])
                journal.add_reserves(rows)
                journal.save_state(_DONE_KEY, hi)
            changed += len(blocks)
            logs += n_logs
            done = hi
            if progress is not None:
                progress(done - from_block + 1, to_block - from_block + 1)
        n_pools = len(pools)
    return FetchSummary(Path(journal_path), n_pools, changed, logs, requests, resumed_from)


def _tokens(cfg) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*cfg.tokens.base, *(cfg.tokens.allow or ()))))


async def _chunk(
    rpc, pools: Sequence[str], ids: dict[str, int], lo: int, hi: int
) -> tuple[list[tuple[int, int, str, str]], list[BlockSeen], int, int]:
    """Sync logs of ``lo..hi`` as reserve rows (the last log per pool and block wins)."""
    last: dict[tuple[int, str], tuple[int, int, int]] = {}
    requests = n_logs = 0
    for start in range(0, len(pools), LOG_ADDRESSES):
        part = list(pools[start : start + LOG_ADDRESSES])
        entries = await rpc.get_logs(address=part, topics=[SYNC_TOPIC], from_block=lo, to_block=hi)
        requests += 1
        for entry in entries:
            if (
                entry.removed
                or entry.topics[:1] != (SYNC_TOPIC,)
                or not lo <= entry.block_number <= hi
            ):
                raise BacktestError(
                    f"the endpoint returned a log outside the request ({entry.block_number})"
                )
            if entry.address not in ids:
                continue
            n_logs += 1
            r0, r1 = decode_reserves(entry.data, f"Sync log of {entry.address}")
            key = (entry.block_number, entry.address)
            if key not in last or entry.log_index > last[key][0]:
                last[key] = (entry.log_index, r0, r1)
    numbers = sorted({block for block, _ in last})
    blocks = list(await rpc.get_blocks(numbers)) if numbers else []
    requests += (len(numbers) + 99) // 100
    rows = [
        (block, ids[address], str(r0), str(r1))
        for (block, address), (_, r0, r1) in sorted(last.items())
    ]
    return rows, blocks, n_logs, requests


def _pool_rows(pools: Sequence[PoolInfo]) -> list[tuple[int, str, str, str, str, int]]:
    return [(i + 1, p.address, p.dex, p.token0, p.token1, p.fee_bps) for i, p in enumerate(pools)]
