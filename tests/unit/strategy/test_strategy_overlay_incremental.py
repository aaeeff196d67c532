"""The paper overlay re-laid over a block's pools only gives what lifting and laying every fill
gave: the same reserves shown, the same chain figures underneath, the same fills, candidates."""

from __future__ import annotations

import numpy as np

from appliance.market.synthetic import NoiseMarket
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
