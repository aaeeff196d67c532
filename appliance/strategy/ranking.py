"""A block's choice of candidates: best net profit first, at most one per pool, greedily.

The detector ranks its top cycles by net profit in native value and takes, best first, each one
whose pools no better one took. Most of those cycles lose to a better one through the same pool
(a dislocation is reached by many cycles), and sizing a cycle whose pools changed is a search.
So a cycle not yet sized enters the ranking with an upper bound of its rank (its profit bound,
:func:`~.exact.profit_upper_bound`, less gas) and is sized only when the greedy reaches it with
its pools still free. One that a better cycle blocked is never sized: the greedy would have
skipped it at its place, which only comes later. The choice is the very one of ranking every
cycle sized (equal ranks keep their order; a rank's bound is never below the rank).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from appliance.events import Candidate

__all__ = ["disjoint_best", "rank_disjoint"]

# (rank, pools, item, exact): ``exact`` False marks an upper bound of the rank, with an item to
# size by ``refine`` when needed
Entry = tuple[float, Sequence[str], Any, bool]


def rank_disjoint(
    candidates: Sequence[Candidate], value: Mapping[str, float] | None = None
) -> tuple[Candidate, ...]:
    """Best net profit first, at most one candidate per pool (greedy), net profit > 0 only.

    ``value`` converts each base token's wei into a common unit (native wei) for the ranking;
    missing tokens count 1:1.
    """
    value = value or {}
    ranked: list[Entry] = []  # each candidate's figures computed once (every block)
    for c in candidates:
        net = c.net_profit
        if net > 0:
            ranked.append((net * value.get(c.base_token, 1.0), c.pools, c, True))
    return tuple(disjoint_best(ranked))


def disjoint_best(
    ranked: Sequence[Entry], refine: Callable[[Any], tuple[float, Any] | None] | None = None
) -> list[Any]:
    """The items chosen: highest rank first (equal ranks in the order given), each whose pools
    none chosen before it took. An entry that is not ``exact`` holds an upper bound of its rank;
    ``refine(item)`` gives its rank and item (None: it does not pay), asked only when the entry
    is reached with its pools free (see the module doc)."""
    heap = [(-rank, pos, pools, item, exact) for pos, (rank, pools, item, exact) in
            enumerate(ranked)]  # fmt: skip
    heapq.heapify(heap)  # (−rank, position): the stable order of a sort by rank, descending
    used: set[str] = set()
    chosen = []
    while heap:
        _, pos, pools, item, exact = heapq.heappop(heap)
        if not used.isdisjoint(pools):
            continue  # a better one took a pool: never chosen, so never sized
        if not exact:
            assert refine is not None
            sized = refine(item)
            if sized is not None:  # its place by its rank (never above its bound's)
                heapq.heappush(heap, (-sized[0], pos, pools, sized[1], True))
            continue
        used.update(pools)
        chosen.append(item)
    return chosen
