"""Cycle enumeration and the pool -> cycles index, against a brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from appliance.events import PoolInfo, PoolsDiscovered, TokenInfo
from appliance.market import MarketState
from appliance.market.synthetic import NoiseMarket
from appliance.strategy import build_cycles


def _state(pairs, dexes=("uni", "sushi")) -> MarketState:
    tokens = sorted({t for p in pairs for t in p})
    pools = []
    for a, b in pairs:
        for d in dexes:
            pools.append(PoolInfo(f"0x{a}{b}{d}", d, a, b, 30))
    st = MarketState()
    st.set_pools(PoolsDiscovered(tuple(TokenInfo(t, t, 18) for t in tokens), tuple(pools)))
    return st


def _as_paths(cs, st):
    out = set()
    for cid in range(len(cs)):
        legs = cs.legs(cid, st)
        out.add(tuple((leg.pool, leg.token_in, leg.token_out) for leg in legs))
    return out


def _brute(st, bases, max_hops):
    """Every simple cycle from a base token, as sequences of (pool, in, out), rotations removed."""
    rank = {b: i for i, b in enumerate(bases)}
    found = set()
    edges = [
        (p.address, t_in, t_out)
        for p in st.pools
        for t_in, t_out in ((p.token0, p.token1), (p.token1, p.token0))
    ]
    for h in range(2, max_hops + 1):
        for combo in itertools.product(edges, repeat=h):
            toks = [e[1] for e in combo]
            if toks[0] not in rank or len(set(toks)) != h:
                continue
            if any(combo[i][2] != combo[(i + 1) % h][1] for i in range(h)):
                continue
            if len({e[0] for e in combo}) != h:
                continue
            if min(rank.get(t, 99) for t in toks) != rank[toks[0]]:
                continue
            found.add(combo)
    return found


@pytest.mark.parametrize("max_hops", [2, 3, 4])
def test_cycles_match_brute_force(max_hops):
    pairs = [("W", "U"), ("W", "D"), ("U", "D"), ("D", "L"), ("W", "L"), ("U", "L")]
    st = _state(pairs)
    bases = ["W", "U"]
    cs = build_cycles(st, bases, max_hops)
    assert _as_paths(cs, st) == _brute(st, bases, max_hops)
    assert len(cs) == len(_as_paths(cs, st))  # no duplicates
    for h, (start, end) in cs.spans.items():
        assert (cs.hops[start:end] == h).all()


def test_two_pool_cycles_run_both_ways():
    st = _state([("W", "X")], dexes=("a", "b", "c"))
    cs = build_cycles(st, ["W"], 3)
    assert len(cs) == 3 * 2  # ordered pairs of distinct pools
    assert {cs.legs(i, st)[0].token_in for i in range(len(cs))} == {"W"}


def test_denied_tokens_drop_their_cycles():
    st = _state([("W", "X"), ("W", "Y"), ("X", "Y")])
    before = len(build_cycles(st, ["W"], 3))
    st.deny("Y", "fee_on_transfer")
    cs = build_cycles(st, ["W"], 3)
    assert len(cs) < before
    assert all(
        "Y" not in (leg.token_in, leg.token_out) for i in range(len(cs)) for leg in cs.legs(i, st)
    )


def test_pool_index_finds_exactly_the_cycles_using_a_pool():
    m = NoiseMarket(n_tokens=12, seed=3)
    st = MarketState()
    st.set_pools(m.discovered())
    cs = build_cycles(st, m.base, 3)
    rng = np.random.default_rng(1)
    changed = rng.choice(st.n_pools, size=7, replace=False)
    expected = np.flatnonzero(np.isin(cs.pools, changed).any(axis=1))
    assert np.array_equal(cs.affected(changed), expected)
    assert len(cs.affected([])) == 0
