"""Paper fills behave as live ones: the same scripted market, paper (fills laid over the reserves
by the detector) and live (fills executed on the pools), gives the same decisions.

The market is the exact in-memory V2 market (NoiseMarket: the pools' own integer arithmetic), so
"live" here really moves the pools the way the chain would; the devnet version of this test runs
the whole supervisor (tests/integration/strategy/test_strategy_paper_as_live.py).
"""

from __future__ import annotations

import dataclasses

from appliance.market.synthetic import NoiseMarket
from appliance.strategy import Detector

GWEI = 10**9
BASE_FEE = 10 * GWEI


def _market() -> NoiseMarket:
    return NoiseMarket(n_tokens=5, n_base=1, dex_fees=(30, 30), extra_pairs=0, seed=7)


def _pool(market: NoiseMarket):
    """The deepest base/other pool on the first DEX: the one the script pushes."""
    base = market.base[0]
    pools = [p for p in market.pools if p.dex == "dex0" and base in (p.token0, p.token1)]
    return max(pools, key=lambda p: market.reserves[p.address][0 if p.token0 == base else 1])


def _watching(market: NoiseMarket, cfg=None):
    """A detector that has discovered the market's pools and read its snapshot: (detector, what
    the snapshot offered)."""
    det = Detector(market.app_config() if cfg is None else cfg)
    det.on_pools(market.discovered())
    return det, det.on_reserves(market.snapshot(), BASE_FEE)


def _push(market: NoiseMarket, pct: int = 3, pool=None):
    """Swap ``pct`` % of ``pool``'s (default: ``_pool``'s) base reserve into it:
    (pool, zero_for_one, out)."""
    pool = _pool(market) if pool is None else pool
    zfo = pool.token0 == market.base[0]
    out = market.swap(pool, zfo, market.reserves[pool.address][0 if zfo else 1] * pct // 100)
    return pool, zfo, out


def _pushed():
    """A fresh market whose pool was pushed 3 %, the next block read: (market, detector, what
    that block offered, never None)."""
    market = _market()
    det, _ = _watching(market)
    _push(market)
    found = det.on_reserves(market.step(trades=0), BASE_FEE)
    assert found is not None
    return market, det, found


def _run(mode: str, *, pushes: int = 5, quiet: int = 11, cap: int | None = None, push_pct=3):
    """Push one pool ``pushes`` times (base token in), ``quiet`` empty blocks apart; each block's
    candidates are filled (live: executed on the pools; paper: ``mark_filled``).

    Returns [(block, push number, ((pools...), amount_in), ...)] of the blocks with candidates.
    """
    market = _market()
    cfg = market.app_config()
    if cap is not None:
        cfg = dataclasses.replace(cfg, risk=dataclasses.replace(cfg.risk, max_trade_wei=cap))
    det, first = _watching(market, cfg)
    assert first is None
    pool = _pool(market)
    decisions = []
    for push in range(pushes):
        for quiet_block in range(quiet + 1):
            if quiet_block == 0:
                _push(market, push_pct, pool)
            event = market.step(trades=0)
            found = det.on_reserves(event, BASE_FEE)
            if found is None:
                continue
            decisions.append(
                (event.block, push, tuple((c.pools, c.amount_in) for c in found.candidates))
            )
            for cand in found.candidates:
                if mode == "live":
                    assert market.execute(cand) == cand.amount_out
                else:
                    assert det.mark_filled(cand)
    return decisions


def _shape(decisions):
    """Decisions without sizes: which blocks traded which pools."""
    return [(block, push, tuple(p for p, _ in cands)) for block, push, cands in decisions]


def test_every_later_dislocation_is_traded_in_paper_as_in_live():
    live, paper = _run("live"), _run("paper")
    assert {push for _, push, _ in live} == set(range(5))  # the script does dislocate 5 times
    assert _shape(paper) == _shape(live)
    # the first fill is identical; later ones differ only by what the live fills moved
    assert paper[0] == live[0]


def test_a_capped_fill_leaves_the_rest_of_the_dislocation_to_the_next_block_as_live():
    cap = 10**17  # far below what the dislocation offers: several fills in a row
    live = _run("live", pushes=1, quiet=6, cap=cap, push_pct=5)
    paper = _run("paper", pushes=1, quiet=6, cap=cap, push_pct=5)
    assert len(live) >= 3
    assert paper == live  # same blocks, same pools, same sizes: the overlay is exact


def _filled_market():
    """A pushed pool, its candidates paper-filled: (market, detector, the fill's candidates)."""
    market, det, found = _pushed()
    assert all(det.mark_filled(c) for c in found.candidates)
    assert det.filled == {p for c in found.candidates for p in c.pools}
    assert det.on_reserves(market.step(trades=0), BASE_FEE) is None  # consumed, as live
    return market, det, found.candidates


def _shown(det, address):
    st = det.state
    pid = st.pool_ids[address]
    assert (st.r0[pid], st.r1[pid]) == (float(st.reserve0[pid]), float(st.reserve1[pid]))
    return st.reserve0[pid], st.reserve1[pid]


def test_a_further_push_keeps_the_fill_laid_over_the_new_chain_figures():
    market, det, cands = _filled_market()
    pool = _pool(market)
    before = _shown(det, pool.address)
    zfo = pool.token0 == market.base[0]
    pushed = market.reserves[pool.address][0 if zfo else 1] // 100
    _, _, out = _push(market, 1, pool)
    found = det.on_reserves(market.step(trades=0), BASE_FEE)
    assert len(det.fills) == len(cands)  # the chain still offers the cycle: the fill stays
    d = (pushed, -out) if zfo else (-out, pushed)
    assert _shown(det, pool.address) == (before[0] + d[0], before[1] + d[1])
    assert found is not None  # and the new push is offered, sized on what live would see


def test_the_chain_closing_the_cycle_itself_lifts_the_fill():
    market, det, cands = _filled_market()
    for cand in cands:  # someone else takes the same opportunity on the chain
        market.execute(cand)
    det.on_reserves(market.step(trades=0), BASE_FEE)
    assert det.fills == [] and det.filled == set()
    for p in market.pools:  # every pool shows the chain's figures again
        assert _shown(det, p.address) == tuple(market.reserves[p.address])
    assert det.on_reserves(market.step(trades=0), BASE_FEE) is None


def test_a_reorg_lifts_the_paper_fills():
    from appliance.events import BlockSeen, ReorgDetected

    market, det, found = _pushed()
    assert all(det.mark_filled(c) for c in found.candidates)
    det.on_reorg(ReorgDetected(0, 1, BlockSeen(1, "0x1b", "0x00", 0, BASE_FEE)))
    assert det.fills == []
    st = det.state
    for p in market.pools:  # back at the snapshot's block (0): before the push
        pid = st.pool_ids[p.address]
        assert st.reserve0[pid] > 0
    assert det.evaluate(1, BASE_FEE) == ()


def test_a_cycle_only_the_overlay_opened_is_not_offered():
    """The paper fill's simulation runs on the chain, which never saw the paper fills: a cycle
    profitable only on the overlaid reserves would fail it (and count as a failed trade)."""
    market, det, found = _pushed()
    fill = found.candidates[0]
    # a paper fill far larger than the opportunity: the overlay pushes the pools past parity,
    # so the reverse cycle looks profitable on the overlay only
    legs = fill.legs
    big_in = fill.amount_in * 20
    amounts, x = [], big_in
    st = det.state
    for leg in legs:
        pid = st.pool_ids[leg.pool]
        r0, r1 = st.reserve0[pid], st.reserve1[pid]
        r_in, r_out = (r0, r1) if leg.token_in == st.pools[pid].token0 else (r1, r0)
        from appliance.market.v2math import get_amount_out

        x = get_amount_out(x, r_in, r_out, leg.fee_bps)
        amounts.append(x)
    over = dataclasses.replace(fill, amount_in=big_in, amount_out=x, amounts=tuple(amounts))
    assert det.mark_filled(over)
    assert det.evaluate(found.block + 1, BASE_FEE)  # the overlay shows the reverse cycle...
    assert det.on_reserves(market.step(trades=0), BASE_FEE) is None  # ...it is not offered
