"""Ranking on bounds, sizing only what the greedy reaches, chooses what ranking everything sized
chooses: the same items in the same order, and the blocked ones are never sized."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.strategy.ranking import disjoint_best

POOLS = [f"0xP{i}" for i in range(8)]


def _plain(entries):
    """Every entry sized, then sorted by rank (stable, descending), greedily pool-disjoint."""
    ranked = [(e["rank"], e["pools"], e["name"]) for e in entries if e["rank"] is not None]
    ranked.sort(key=lambda r: r[0], reverse=True)
    used, chosen = set(), []
    for _, pools, name in ranked:
        if not used & set(pools):
            used |= set(pools)
            chosen.append(name)
    return chosen


def _lazy(entries):
    sized = []

    def refine(entry):
        sized.append(entry["name"])
        return None if entry["rank"] is None else (entry["rank"], entry["name"])

    ranked = [
        (e["bound"], e["pools"], e, False) if e["bound"] is not None else
        (e["rank"], e["pools"], e["name"], True)
        for e in entries
        if e["bound"] is not None or e["rank"] is not None
    ]  # fmt: skip
    return disjoint_best(ranked, refine), sized


entry = st.fixed_dictionaries(
    {
        # a rank of None: sized, it does not pay (only for entries with a bound)
        "rank": st.one_of(st.none(), st.sampled_from([0.5, 1.0, 2.0, 3.0]), st.floats(0.1, 9)),
        "slack": st.one_of(st.none(), st.sampled_from([0.0, 0.5]), st.floats(0, 9)),
        "pools": st.lists(st.sampled_from(POOLS), min_size=1, max_size=3, unique=True),
    }
)


@settings(max_examples=400, deadline=None)
@given(st.lists(entry, max_size=12))
def test_lazy_sizing_chooses_what_sizing_everything_chooses(raw):
    entries = []
    for i, e in enumerate(raw):
        if e["slack"] is None and e["rank"] is None:
            continue  # an exact entry always pays
        bound = None if e["slack"] is None else (e["rank"] or 0.0) + e["slack"]
        entries.append({"name": i, "rank": e["rank"], "bound": bound, "pools": e["pools"]})
    chosen, sized = _lazy(entries)
    assert chosen == _plain(entries)
    assert len(set(sized)) == len(sized)  # each sized once at most


def test_a_cycle_blocked_by_a_better_one_is_never_sized():
    rng = random.Random(3)
    skipped = 0
    for _ in range(200):
        entries = [
            {"name": i, "rank": rng.uniform(1, 2), "bound": None, "pools": [rng.choice(POOLS[:3])]}
            for i in range(3)
        ] + [
            {"name": 10 + i, "rank": 0.5, "bound": 0.6, "pools": [rng.choice(POOLS[:3])]}
            for i in range(6)
        ]
        chosen, sized = _lazy(entries)
        assert chosen == _plain(entries)
        skipped += 6 - len(sized)
    assert skipped > 600
