"""The set of arbitrage cycles of a market, as numpy index arrays.

A cycle starts and ends in a base token: ``B -> X -> B`` through two pools of the same pair
(two DEXes, two pool kinds — a V2 pair against a V3 pool — or two fee tiers of one V3 factory), ``B -> X -> Y -> B`` and,
with ``max_hops = 4``, ``B -> X -> Y -> Z -> B``; every direction is its own cycle. A cycle
through several base tokens is listed once, starting at the one listed first in ``tokens.base``
(a rotation of a cycle has the same rate, only the unit of its profit differs).

Cycles are sorted by length, so the cycles of ``h`` hops are the global ids ``spans[h]``; the
screening pass folds each length in one numpy expression. ``ptr``/``idx`` (CSR) map a pool to the
cycles using it, so a block re-evaluates only those.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from appliance.events import Leg
from appliance.market.state import MarketState

__all__ = ["CycleSet", "build_cycles"]


_FEW_POOLS = 16  # up to this many changed pools, affected() concatenates their rows


@dataclass(frozen=True, eq=False)
class CycleSet:
    """All cycles of one market version. ``pools``/``zero_for_one`` are padded with -1/False."""

    pools: np.ndarray  # (n, max_hops) int64 pool ids, -1 past the cycle's length
    zero_for_one: np.ndarray  # (n, max_hops) bool: the hop sells token0 of its pool
    hops: np.ndarray  # (n,) int64 number of legs
    base: np.ndarray  # (n,) int64 token id the cycle starts and ends in
    spans: dict[int, tuple[int, int]]  # hops -> [start, end) of its cycles
    ptr: np.ndarray  # (n_pools + 1,) CSR row pointers: pool -> cycles
    idx: np.ndarray  # CSR column indices (cycle ids), sorted within a row
    version: int  # MarketState.version it was built from

    def __len__(self) -> int:
        return len(self.hops)

    def affected(self, pool_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Sorted unique ids of the cycles that use any of ``pool_ids``."""
        pools = np.asarray(pool_ids, dtype=np.int64)
        if len(pools) <= _FEW_POOLS:  # a block's few pools: their CSR rows, sliced directly
            return self._affected_few(pools.tolist())
        pools = pools[(pools >= 0) & (pools + 1 < len(self.ptr))]
        if len(pools) == 0 or len(self.idx) == 0:
            return np.zeros(0, dtype=np.int64)
        starts, ends = self.ptr[pools], self.ptr[pools + 1]
        lens = ends - starts
        total = int(lens.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        # the CSR rows of all pools in one gather: position i of row r is starts[r] + i
        offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
        mark = np.zeros(len(self.hops), dtype=bool)
        mark[self.idx[offsets]] = True
        return np.flatnonzero(mark)

    @functools.cached_property
    def _ptr(self) -> list[int]:
        return self.ptr.tolist()

    def _affected_few(self, pools: list[int]) -> np.ndarray:
        """:meth:`affected` of a few pools (the same result, a fraction of the numpy calls)."""
        ptr, idx, n_rows = self._ptr, self.idx, len(self.ptr) - 1
        rows = [idx[ptr[p] : ptr[p + 1]] for p in pools if 0 <= p < n_rows and ptr[p] < ptr[p + 1]]
        if not rows:
            return np.zeros(0, dtype=np.int64)
        if len(rows) == 1:
            return rows[0].copy()  # a row is sorted and unique already
        mark = np.zeros(len(self.hops), dtype=bool)
        mark[np.concatenate(rows)] = True
        return np.flatnonzero(mark)

    def legs(self, cycle_id: int, state: MarketState) -> tuple[Leg, ...]:
        """The cycle as :class:`appliance.events.Leg` objects (addresses, not ids)."""
        out = []
        for k in range(int(self.hops[cycle_id])):
            pool = state.pools[int(self.pools[cycle_id, k])]
            if self.zero_for_one[cycle_id, k]:
                out.append(Leg(pool.address, pool.token0, pool.token1, pool.fee_bps, pool.kind))
            else:
                out.append(Leg(pool.address, pool.token1, pool.token0, pool.fee_bps, pool.kind))
        return tuple(out)


def build_cycles(state: MarketState, base_tokens: Sequence[str], max_hops: int = 3) -> CycleSet:
    """Enumerate every cycle of ``state`` through ``base_tokens`` of at most ``max_hops`` legs."""
    if not 2 <= max_hops <= 4:
        raise ValueError(f"max_hops must be 2, 3 or 4, not {max_hops!r}")
    n_tokens = len(state.tokens)
    big = len(base_tokens) + 1
    prio = np.full(n_tokens, big, dtype=np.int64)  # lower = preferred start
    for rank, token in enumerate(base_tokens):
        tid = state.token_ids.get(token)
        if tid is not None:
            prio[tid] = rank
    active = state.active_pools()
    t0, t1 = state.token0.tolist(), state.token1.tolist()
    adj: dict[int, list[tuple[int, int]]] = defaultdict(list)  # token -> [(pool, other)]
    edge: dict[tuple[int, int], list[int]] = defaultdict(list)  # (a, b) -> pools
    for pid in np.flatnonzero(active).tolist():
        a, b = t0[pid], t1[pid]
        adj[a].append((pid, b))
        adj[b].append((pid, a))
        edge[a, b].append(pid)
        edge[b, a].append(pid)

    found: dict[int, list[tuple[tuple[int, ...], tuple[int, ...], int]]] = {2: [], 3: [], 4: []}
    prio_l = prio.tolist()
    for base_token in base_tokens:
        b = state.token_ids.get(base_token)
        if b is None:
            continue
        pb = prio_l[b]
        for p1, x in adj[b]:
            if prio_l[x] < pb:
                continue  # listed from the preferred base token x
            toks1 = (b, x)
            for p2 in edge[x, b]:
                if p2 != p1:
                    found[2].append(((p1, p2), toks1, b))
            if max_hops < 3:
                continue
            for p2, y in adj[x]:
                if y in (b, x) or prio_l[y] < pb:
                    continue
                toks2 = (b, x, y)
                for p3 in edge[y, b]:
                    found[3].append(((p1, p2, p3), toks2, b))
                if max_hops < 4:
                    continue
                for p3, z in adj[y]:
                    if z in (b, x, y) or prio_l[z] < pb:
                        continue
                    for p4 in edge[z, b]:
                        found[4].append(((p1, p2, p3, p4), (b, x, y, z), b))

    n = sum(len(v) for v in found.values())
    pools = np.full((n, max_hops), -1, dtype=np.int64)
    zfo = np.zeros((n, max_hops), dtype=bool)
    hops = np.zeros(n, dtype=np.int64)
    base = np.zeros(n, dtype=np.int64)
    spans: dict[int, tuple[int, int]] = {}
    t0_arr = state.token0
    row = 0
    for h in (2, 3, 4):
        items = found[h]
        spans[h] = (row, row + len(items))
        if not items:
            continue
        end = row + len(items)
        p = np.array([it[0] for it in items], dtype=np.int64)
        toks_in = np.array([it[1] for it in items], dtype=np.int64)
        pools[row:end, :h] = p
        zfo[row:end, :h] = t0_arr[p] == toks_in
        hops[row:end] = h
        base[row:end] = [it[2] for it in items]
        row = end
    # CSR pool -> cycles
    flat_pool = pools.ravel()
    flat_cycle = np.repeat(np.arange(n, dtype=np.int64), max_hops)
    keep = flat_pool >= 0
    flat_pool, flat_cycle = flat_pool[keep], flat_cycle[keep]
    order = np.lexsort((flat_cycle, flat_pool))
    flat_pool, flat_cycle = flat_pool[order], flat_cycle[order]
    counts = np.bincount(flat_pool, minlength=state.n_pools)
    ptr = np.zeros(state.n_pools + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return CycleSet(pools, zfo, hops, base, spans, ptr, flat_cycle, state.version)
