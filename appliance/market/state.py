"""The in-memory market: pools by integer id, exact reserves, float mirrors, undo log.

Why two copies of every reserve: the screening pass is one numpy expression over tens of
thousands of cycles and wants contiguous ``float64`` arrays; the exact re-check and everything
that leaves this process want the pool's own integers. ``apply`` keeps both in step.

Why an undo log and not snapshots: a block changes a handful of pools, so remembering the old
values of just those (for the last :data:`UNDO_BLOCKS` blocks) makes a reorg rollback cost what
the reorged blocks cost, with no copy of the whole market per block.

Pool kinds (:mod:`appliance.market.kinds`): a constant-product pool's state is its reserves; a
log-driven pool (Uniswap V3) holds its kind's exact state in :attr:`MarketState.held` and shows
the screen its virtual reserves in the same arrays, so everything downstream of the arrays is
kind-blind. Log-driven state has no undo log: a reorg forgets it (the pool reads as unknown:
zero reserves, never traded) until the full refresh the chain task makes after every reorg.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from typing import Any

import numpy as np

from appliance.events import (
    PoolInfo,
    PoolsDiscovered,
    PoolStatesUpdated,
    ReservesUpdated,
    TokenInfo,
)
from appliance.market.errors import MarketError, ReorgTooDeep
from appliance.market.kinds import PoolKind, pool_kind

__all__ = ["UNDO_BLOCKS", "MarketState"]

log = logging.getLogger(__name__)

UNDO_BLOCKS = 64

_EMPTY = np.zeros(0, dtype=np.int64)


class MarketState:
    """Pools, tokens and reserves of one chain. Owned by one task; not thread-safe.

    Pool ids are dense ``0..n_pools-1`` and stable until a pool is removed (removal compacts the
    ids, and bumps :attr:`version` so cycle sets know to rebuild).
    """

    def __init__(self, *, undo_blocks: int = UNDO_BLOCKS) -> None:
        self.pools: list[PoolInfo] = []
        self.pool_ids: dict[str, int] = {}
        self.tokens: list[str] = []
        self.token_ids: dict[str, int] = {}
        self.token_info: dict[str, TokenInfo] = {}
        self.denied: dict[str, str] = {}  # token -> reason
        self.reserve0: list[int] = []
        self.reserve1: list[int] = []
        self.r0 = np.zeros(0)
        self.r1 = np.zeros(0)
        self.token0 = np.zeros(0, dtype=np.int64)
        self.token1 = np.zeros(0, dtype=np.int64)
        self.fee_bps = np.zeros(0, dtype=np.int64)
        self.kinds: list[PoolKind] = []  # per pool id
        self.held: dict[int, Any] = {}  # pool id -> a log-driven kind's exact state
        self.version = 0  # bumped whenever the pool set or the deny list changes
        self.block: int | None = None
        self._undo: deque[tuple[int, dict[int, tuple[int, int]]]] = deque()
        self._undo_blocks = undo_blocks
        self._dropped_upto = -1  # highest block whose undo entry fell out of the window

    # ------------------------------------------------------------------ pools and tokens
    @property
    def n_pools(self) -> int:
        return len(self.pools)

    def token_id(self, address: str) -> int:
        tid = self.token_ids.get(address)
        if tid is None:
            tid = len(self.tokens)
            self.tokens.append(address)
            self.token_ids[address] = tid
        return tid

    def set_pools(self, event: PoolsDiscovered) -> list[int]:
        """Add the pools of ``event`` (known ones are kept, with their reserves). Returns new ids."""
        for info in event.tokens:
            self.token_info[info.address] = info
        new: list[int] = []
        for pool in event.pools:
            if pool.address in self.pool_ids:
                continue
            if pool.token0 == pool.token1:
                raise ValueError(f"pool {pool.address} pairs token {pool.token0} with itself")
            self.kinds.append(pool_kind(pool.kind))
            self.pool_ids[pool.address] = len(self.pools)
            new.append(len(self.pools))
            self.pools.append(pool)
            self.reserve0.append(0)
            self.reserve1.append(0)
            self.token_id(pool.token0)
            self.token_id(pool.token1)
        if new:
            self._rebuild_arrays()
        return new

    def remove_pools(self, addresses: Iterable[str]) -> None:
        """Forget pools; the ids of the others are compacted and the undo log is cleared."""
        drop = {a for a in addresses if a in self.pool_ids}
        if not drop:
            return
        keep = [i for i, p in enumerate(self.pools) if p.address not in drop]
        new_id = {old: new for new, old in enumerate(keep)}
        self.held = {new_id[pid]: h for pid, h in self.held.items() if pid in new_id}
        self.kinds = [self.kinds[i] for i in keep]
        self.pools = [self.pools[i] for i in keep]
        self.reserve0 = [self.reserve0[i] for i in keep]
        self.reserve1 = [self.reserve1[i] for i in keep]
        self.pool_ids = {p.address: i for i, p in enumerate(self.pools)}
        self._undo.clear()
        self._dropped_upto = self.block if self.block is not None else -1
        self._rebuild_arrays()

    def _rebuild_arrays(self) -> None:
        ids = self.token_ids
        self.token0 = np.array([ids[p.token0] for p in self.pools], dtype=np.int64)
        self.token1 = np.array([ids[p.token1] for p in self.pools], dtype=np.int64)
        self.fee_bps = np.array([p.fee_bps for p in self.pools], dtype=np.int64)
        self.r0 = np.array(self.reserve0, dtype=np.float64)
        self.r1 = np.array(self.reserve1, dtype=np.float64)
        self.version += 1

    def deny(self, token: str, reason: str) -> bool:
        """Never trade ``token`` again. Returns False when it was already denied."""
        if token in self.denied:
            return False
        self.denied[token] = reason
        self.version += 1
        return True

    def active_pools(self) -> np.ndarray:
        """Boolean mask of pools whose tokens are both allowed."""
        denied = np.zeros(len(self.tokens), dtype=bool)
        for token in self.denied:
            tid = self.token_ids.get(token)
            if tid is not None:
                denied[tid] = True
        if not self.pools:
            return np.zeros(0, dtype=bool)
        return ~(denied[self.token0] | denied[self.token1])

    def pools_between(self, token_a: str, token_b: str) -> list[int]:
        """Ids of the pools trading ``token_a`` against ``token_b`` (any DEX)."""
        a, b = self.token_ids.get(token_a), self.token_ids.get(token_b)
        if a is None or b is None:
            return []
        mask = ((self.token0 == a) & (self.token1 == b)) | ((self.token0 == b) & (self.token1 == a))
        return [int(i) for i in np.flatnonzero(mask)]

    def reserves(self, pool_id: int, token_in: str) -> tuple[int, int]:
        """``(reserve_in, reserve_out)`` of ``pool_id`` when selling ``token_in``."""
        if self.pools[pool_id].token0 == token_in:
            return self.reserve0[pool_id], self.reserve1[pool_id]
        return self.reserve1[pool_id], self.reserve0[pool_id]

    # ------------------------------------------------------------------ reserves
    def apply(self, event: ReservesUpdated) -> np.ndarray:
        """Take the reserves of ``event``; returns the ids of the pools whose reserves changed.

        Unknown pools are ignored (discovery may lag a block). The previous values are kept so
        :meth:`rollback` can undo the block.
        """
        changed: list[int] = []
        undo = self._undo_slot(event.block)  # a second update for a block shares its entry
        ids = self.pool_ids
        for address, (res0, res1) in event.reserves.items():
            pid = ids.get(address)
            if pid is None:
                continue
            old = (self.reserve0[pid], self.reserve1[pid])
            if old == (res0, res1):
                continue
            if res0 < 0 or res1 < 0:
                raise ValueError(f"negative reserves {(res0, res1)!r} for pool {address}")
            undo.setdefault(pid, old)
            self._set(pid, res0, res1)
            changed.append(pid)
        self.block = event.block if self.block is None else max(self.block, event.block)
        if not changed:
            return _EMPTY
        return np.array(changed, dtype=np.int64)

    def apply_states(self, event: PoolStatesUpdated) -> np.ndarray:
        """Take a block's log-driven pool states (snapshots first, then the others' logs in log
        order); returns the ids of the pools whose screened reserves changed. A snapshot that
        does not make a valid state leaves its pool unknown (zero reserves, never traded)."""
        self._undo_slot(event.block)
        ids = self.pool_ids
        touched: dict[int, None] = {}
        for address, snapshot in event.snapshots.items():
            pid = ids.get(address)
            if pid is None:
                continue
            try:
                self.held[pid] = self.kinds[pid].load(self.pools[pid], snapshot)
            except MarketError as exc:
                log.warning("pool %s: snapshot of block %d refused: %s", address, event.block, exc)
                self.held.pop(pid, None)
            touched[pid] = None
        by_pool: dict[int, list[tuple[str, tuple[str, ...], str]]] = {}
        for entry in event.logs:
            pid = ids.get(entry[0])
            if pid is not None and pid in self.held:
                by_pool.setdefault(pid, []).append(entry)
        for pid, logs in by_pool.items():
            try:
                self.kinds[pid].apply_logs(self.held[pid], logs)
            except MarketError as exc:  # inconsistent with what was read: unknown until re-read
                log.warning("pool %s: logs of block %d refused: %s", self.pools[pid].address,
                            event.block, exc)  # fmt: skip
                del self.held[pid]
            touched[pid] = None
        changed = []
        for pid in touched:
            held = self.held.get(pid)
            res0, res1 = (0, 0) if held is None else self.kinds[pid].reserves(held)
            if (res0, res1) != (self.reserve0[pid], self.reserve1[pid]):
                self._set(pid, res0, res1)
                changed.append(pid)
        self.block = event.block if self.block is None else max(self.block, event.block)
        return np.array(changed, dtype=np.int64) if changed else _EMPTY

    def _undo_slot(self, block: int) -> dict[int, tuple[int, int]]:
        if self._undo and self._undo[-1][0] == block:
            return self._undo[-1][1]
        undo: dict[int, tuple[int, int]] = {}
        self._undo.append((block, undo))
        if len(self._undo) > self._undo_blocks:
            self._dropped_upto = max(self._dropped_upto, self._undo.popleft()[0])
        return undo

    def _forget_held(self) -> list[int]:
        """Forget every log-driven state (no undo log for them); returns their ids."""
        gone = sorted(self.held)
        for pid in gone:
            self._set(pid, 0, 0)
        self.held.clear()
        return gone

    def _set(self, pid: int, res0: int, res1: int) -> None:
        self.reserve0[pid] = res0
        self.reserve1[pid] = res1
        self.r0[pid] = float(res0)
        self.r1[pid] = float(res1)

    def rollback(self, common_ancestor: int) -> np.ndarray:
        """Undo every block above ``common_ancestor``; returns the ids of the pools restored.

        Raises :class:`ReorgTooDeep` when the log does not reach back that far (then the caller
        must :meth:`clear_reserves` and wait for a full refresh).
        """
        if self._dropped_upto > common_ancestor:
            raise ReorgTooDeep(
                f"reorg to block {common_ancestor} is deeper than the {self._undo_blocks} blocks kept"
            )
        touched: set[int] = set(self._forget_held()) if self.held else set()
        while self._undo and self._undo[-1][0] > common_ancestor:
            _, undo = self._undo.pop()
            for pid, (res0, res1) in undo.items():
                self._set(pid, res0, res1)
                touched.add(pid)
        if self.block is not None and self.block > common_ancestor:
            self.block = common_ancestor
        return np.array(sorted(touched), dtype=np.int64)

    def clear_reserves(self) -> None:
        """Forget all reserves (set to 0 = unknown, never traded) and the undo log."""
        n = len(self.pools)
        self.reserve0 = [0] * n
        self.reserve1 = [0] * n
        self.r0 = np.zeros(n)
        self.r1 = np.zeros(n)
        self.held.clear()
        self._undo.clear()
        self._dropped_upto = -1
        self.block = None
