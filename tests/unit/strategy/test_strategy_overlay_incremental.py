"""The paper overlay re-laid over a block's pools only gives what lifting and laying every fill
gave: the same reserves shown, the same chain figures underneath, the same fills, candidates."""

from __future__ import annotations

import numpy as np

from appliance.market.synthetic import NoiseMarket
from appliance.market.v2math import get_amount_out
from appliance.strategy.detector import Detector


class EveryFillDetector(Detector):
    """The reference: every block lifts every fill and lays them all again (the former path)."""

    def _apply_under_overlay(self, event):
        before = self._lift()
        changed = self.state.apply(event)
        self._drop_taken(changed)
        return changed, self._lay(before)


def test_the_block_s_pools_only_equal_every_fill_relaid():
    market = NoiseMarket(n_tokens=30, seed=4)
    cfg = market.app_config()
    fast, slow = Detector(cfg), EveryFillDetector(cfg)
    for det in (fast, slow):
        det.on_pools(market.discovered())
    event = market.snapshot()
    fills = 0
    for n in range(400):
        found = [det.on_reserves(event, 10**10, seen_at=0.0) for det in (fast, slow)]
        assert found[0] == found[1], n
        st_f, st_s = fast.state, slow.state
        assert list(st_f.reserve0) == list(st_s.reserve0), n
        assert list(st_f.reserve1) == list(st_s.reserve1), n
        assert np.array_equal(st_f.r0, st_s.r0) and np.array_equal(st_f.r1, st_s.r1)
        assert fast._chain == slow._chain and fast.fills == slow.fills, n
        if found[0] is not None and n % 3 == 0:  # fill some, let others be
            for cand in found[0].candidates[:2]:
                laid = [det.mark_filled(cand) for det in (fast, slow)]
                assert laid[0] == laid[1]
                fills += laid[0]
        event = market.step(trades=6, max_fraction=0.02)
    assert fills > 20 and fast.fills  # fills laid, some still in force at the end


class PlainDetector(Detector):
    """The reference for the per-block shortcuts: every fill asked at every block whether the
    block took it, and every candidate's path quoted on the chain's reserves (the former code)."""

    def _drop_taken(self, changed):
        if not self.fills or not len(changed):
            return False
        hit = set(changed.tolist())
        kept = [f for f in self.fills if hit.isdisjoint(f.pids) or self._chain_offers(f)]
        dropped = len(kept) != len(self.fills)
        self.fills = kept
        return dropped

    def _holds_on_chain(self, candidate):
        st = self.state
        amount = candidate.amount_in
        touched = False
        for leg in candidate.legs:
            pid = st.pool_ids[leg.pool]
            zero_in = leg.token_in == st.pools[pid].token0
            if pid in self._chain:
                touched = True
                res0, res1 = self._chain[pid]
                r_in, r_out = (res0, res1) if zero_in else (res1, res0)
                if amount <= 0 or r_in <= 0 or r_out <= 0:
                    return False
                amount = get_amount_out(amount, r_in, r_out, leg.fee_bps)
            else:  # (no log-driven pool in this market)
                amount = st.kinds[pid].quoter(st, pid, zero_in)(amount)
                if amount is None:
                    return False
        return not touched or amount >= candidate.amount_out


def test_the_fills_a_block_takes_and_the_candidates_that_hold_are_the_plain_ones():
    market = NoiseMarket(n_tokens=30, seed=6)
    cfg = market.app_config(top_n=16)
    fast, plain = Detector(cfg), PlainDetector(cfg)
    for det in (fast, plain):
        det.on_pools(market.discovered())
    event = market.snapshot()
    lifted = untouched = held = 0
    for n in range(400):
        before = len(fast.fills)
        found = [det.on_reserves(event, 10**10, seen_at=0.0) for det in (fast, plain)]
        assert found[0] == found[1], n
        assert fast.fills == plain.fills and fast._chain == plain._chain, n
        lifted += len(fast.fills) < before
        for cand in fast._last[1]:  # every candidate of the evaluation, before the filter
            verdict = fast._holds_on_chain(cand)
            assert verdict == PlainDetector._holds_on_chain(fast, cand), n
            overlaid = {fast.state.pool_ids[p] for p in cand.pools} & set(fast._chain)
            untouched += not overlaid
            held += bool(overlaid) and verdict
        if found[0] is not None and n % 2 == 0:
            for cand in found[0].candidates[:2]:
                assert fast.mark_filled(cand) == plain.mark_filled(cand)
        event = market.step(trades=6, max_fraction=0.02)
    assert lifted > 10 and untouched > 50 and held > 10
