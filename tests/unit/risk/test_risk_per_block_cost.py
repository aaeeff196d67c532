"""The risk engine's cheaper per-block paths give the very figures of the plain computation.

Every block the engine prices the base tokens (volatility, correlation, valuation rates), reads
the inventory (equity, inventory VaR) and hands size caps to the detector. These run at every
block of a backtest, so each reuses or shortens work; here each is compared, bit for bit or to
the wei, with what the plain computation gives for the same inputs, and each reuse is shown to
end when one of its inputs changes.
"""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import pytest

from appliance.config import RiskConfig
from appliance.events import BlockSeen, Candidate, Leg
from appliance.modes import Mode
from appliance.risk import RiskEngine, TailRisk
from appliance.risk.measures import PriceReturns, _mean, _std, tail_risk
from appliance.risk.sizing import size_caps
from appliance.risk.valuation import Valuation
from appliance.safety import SafetyLatch

WETH, USDC, WBTC = "0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20
GWEI, ETH = 10**9, 10**18


@pytest.mark.parametrize("n", [1, 2, 5, 7, 8, 9, 16, 100, 129, 1000])
def test_std_and_mean_are_numpys_bit_for_bit(n):
    rng = np.random.default_rng(n)
    for scale in (1e-3, 1.0, 1e18):
        x = rng.normal(0.0, scale, n) + rng.uniform(-scale, scale)
        assert _mean(x) == x.mean()
        assert _std(x) == x.std()
        if n > 1:
            assert _std(x, ddof=1) == x.std(ddof=1)


def _reference_volatility(pr: PriceReturns, min_points: int = 5) -> dict[str, float]:
    data = pr._data()
    out = {}
    for i, token in enumerate(pr.tokens):
        col = data[:, i]
        col = col[np.isfinite(col)]
        if col.shape[0] >= min_points:
            out[token] = float(col.std(ddof=1))
    return out


def _reference_correlation(pr: PriceReturns, min_points: int = 5) -> dict:
    data, names = pr._data(), list(pr.tokens)
    out = {}
    for a_pos, a in enumerate(names):
        for b in names[a_pos + 1 :]:
            x, y = data[:, names.index(a)], data[:, names.index(b)]
            ok = np.isfinite(x) & np.isfinite(y)
            if int(ok.sum()) < min_points:
                continue
            xs, ys = x[ok], y[ok]
            sx, sy = xs.std(), ys.std()
            if sx == 0 or sy == 0:
                continue
            rho = float(((xs - xs.mean()) * (ys - ys.mean())).mean() / (sx * sy))
            out[(a, b)] = out[(b, a)] = max(-1.0, min(1.0, rho))
    return out


def test_volatility_and_correlation_match_numpys_std_and_mean_exactly():
    """Gaps (a token unpriced at some blocks), a constant series and a full window that wraps."""
    rng = random.Random(4)
    pr = PriceReturns(50)
    prices = {WETH: 1.0, USDC: 3e-16, WBTC: 20.0}
    for block in range(180):
        prices = {t: p * math.exp(rng.gauss(0, 0.01)) for t, p in prices.items()}
        seen = {t: p for t, p in prices.items() if not (t == WBTC and block % 7 == 0)}
        seen[WETH] = 1.0  # the native token: constant, so no correlation with it
        pr.observe(seen)
        assert pr.volatility() == _reference_volatility(pr)
        assert pr.correlation() == _reference_correlation(pr)
    assert len(pr.correlation()) == 2  # USDC-WBTC both ways; WETH is constant


def test_tail_risk_fed_without_reading_gives_the_figures_of_adding():
    rng = random.Random(5)
    eager, lazy = TailRisk(100), TailRisk(100)
    for i in range(350):
        value = rng.gauss(0, 1e15)
        eager.add(value)
        lazy.push(value)
        if i % 37 == 0:
            assert lazy.figures == eager.figures
    assert lazy.figures == eager.figures == tail_risk(eager.values())
    assert lazy.figures.points == 100


def _usdc(gas_cost: int) -> Candidate:
    return Candidate(
        block=5,
        legs=(Leg("0x" + "aa" * 20, USDC, WETH, 30), Leg("0x" + "bb" * 20, WETH, USDC, 30)),
        base_token=USDC,
        amount_in=10**9,
        amount_out=10**9 + 10**7,
        gas_estimate=200_000,
        gas_cost=gas_cost,
    )


def test_equity_is_valued_again_when_any_of_its_inputs_changes():
    held = {WETH: ETH, USDC: 3000 * 10**6}
    v = Valuation(WETH)

    def fresh() -> int | None:
        """What a valuation that reuses nothing says for the same rates and P&L."""
        plain = Valuation(WETH)
        plain._rates, plain._prices, plain.paper_pnl = dict(v._rates), dict(v._prices), v.paper_pnl
        return plain._equity(held, 7)

    assert v.equity(held, 7) is None and v.unvalued == (USDC,)
    v.observe_prices({USDC: ETH / (2900 * 10**6)})
    assert v.equity(held, 7) == fresh() and v.unvalued == ()
    v.observe_prices({USDC: ETH / (2900 * 10**6)})  # the same price: the same rational
    assert v.equity(held, 7) == fresh()
    v.observe_candidate(_usdc(200_000 * 10 * GWEI * 3000 * 10**6 // ETH), 10 * GWEI)
    assert v.equity(held, 7) == fresh() == 2 * ETH + 7  # the candidate's rate: 1 ETH = 3000 USDC
    v.paper_pnl += 10**15
    assert v.equity(held, 7) == fresh() == 2 * ETH + 7 + 10**15
    assert v.equity(held, 8) == 2 * ETH + 8 + 10**15
    held[USDC] = 6000 * 10**6  # the same dict object, changed in place
    assert v.equity(held, 8) == fresh() + 1 == 3 * ETH + 8 + 10**15
    assert v.equity({WBTC: 1}, None) is None and v.unvalued == (WBTC,)
    assert v.equity(held, 8) is not None and v.unvalued == ()


def _engine(tmp_path, **cfg) -> RiskEngine:
    engine = RiskEngine(
        dataclasses.replace(RiskConfig(), **cfg),
        latch=SafetyLatch(tmp_path),
        equity_token=WETH,
        inventory={WETH: 10 * ETH, USDC: 30_000 * 10**6},
    )
    engine.startup_records()
    engine.on_health(True, True)
    engine.on_block(BlockSeen(5, "0x05", "0x04", 0, 9 * GWEI))
    return engine


def _plain_caps(engine: RiskEngine) -> dict[str, int]:
    return size_caps(
        engine._inventory,
        trading=engine.mode.trades and not engine.breakers.any_open,
        flash=False,
        max_trade_wei=engine.limits.max_trade_wei,
        max_trade_pct_inventory=engine.cfg.max_trade_pct_inventory,
        multiplier=engine.size_multiplier,
        kelly_bet=engine.kelly_bet,
    )


def test_size_caps_follow_the_inventory_the_mode_and_the_regime(tmp_path):
    engine = _engine(tmp_path, max_trade_pct_inventory=10.0, max_trade_wei=5 * ETH)
    first = engine.size_caps()
    assert first == _plain_caps(engine) and first[WETH] == ETH
    first[WETH] = 1  # the caller's copy: the engine's next answer is its own
    assert engine.size_caps()[WETH] == ETH
    engine.on_inventory({WETH: 20 * ETH, USDC: 30_000 * 10**6})
    assert engine.size_caps() == _plain_caps(engine) and engine.size_caps()[WETH] == 2 * ETH
    engine.hold("test", Mode.REDUCED, "a test")
    assert engine.size_caps() == _plain_caps(engine) and engine.size_caps()[WETH] < 2 * ETH
    engine.hold("test", Mode.PAUSED, "a test")
    assert engine.size_caps() == {WETH: 0, USDC: 0}
    engine.release("test", "a test")
    assert engine.size_caps()[WETH] == 2 * ETH
    rng = random.Random(6)
    price = 1e-12
    for _ in range(30):  # a violent market: the regime turns high, sizes shrink
        price *= math.exp(rng.gauss(0, 0.2))
        engine.on_prices({WETH: 1.0, USDC: price})
    assert engine.regime == "high"
    assert engine.size_caps() == _plain_caps(engine) and engine.size_caps()[WETH] == ETH // 2
