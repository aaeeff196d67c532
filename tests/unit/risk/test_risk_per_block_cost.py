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
from appliance.events import BlockSeen, Candidate, CandidatesFound, Leg, TradeStatus, TradeUpdated
from appliance.modes import Mode
from appliance.risk import RiskEngine, TailRisk
from appliance.risk.measures import PriceReturns, _mean, _std, exposure_scales, tail_risk
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


def _plain_maybe_update(engine: RiskEngine) -> None:
    """The engine's picture as first written: a snapshot built and compared at every call."""
    update = engine.snapshot()
    if update != engine._last_update:
        engine._last_update = update
        engine._records.append(update)


def _plain_refresh_exposure(engine: RiskEngine) -> None:
    held = tuple(t for t, v in engine._inventory.items() if v > 0)
    engine._exposure_scale = exposure_scales(held, engine._correlation)


def test_the_pictures_and_scales_sent_are_those_of_the_plain_engine(tmp_path):
    """A long session (calm and violent prices, inventory moves, wins, reverts that open and
    then close the trade breaker, a reduced mode): every record the engine returns, its
    exposure scales and its snapshot are those of an engine that rebuilds them every time."""
    clock = [1_700_006_400.0 - 12 * 200]  # the daily reset (00:00 UTC) at block 200
    config = dict(consecutive_failures=3, breaker_cooldown_s=120, breaker_close_after=1,
                  max_pending_trades=10, max_orders_per_block=10, max_pool_exposure_pct=50.0)  # fmt: skip
    engines = []
    for name in ("fast", "plain"):
        (tmp_path / name).mkdir()
        engine = RiskEngine(
            dataclasses.replace(RiskConfig(), **config),
            latch=SafetyLatch(tmp_path / name),
            clock=lambda: clock[0],
            monotonic=lambda: clock[0],
            equity_token=WETH,
            inventory={WETH: 10 * ETH, USDC: 30_000 * 10**6, WBTC: 10**8},
        )
        engines.append(engine)
    fast, plain = engines
    plain._maybe_update = lambda: _plain_maybe_update(plain)
    plain._refresh_exposure = lambda: _plain_refresh_exposure(plain)
    rng = random.Random(8)
    price, btc, sent, kinds = 1e-12 * ETH / 3000, 20.0, 0, set()

    def both(call, *args):
        a, b = getattr(fast, call)(*args), getattr(plain, call)(*args)
        assert a == b, call
        kinds.update(type(r).__name__ for r in (a[1] if call == "on_candidates" else a))
        return a

    scales = []
    both("startup_records")
    both("on_health", True, True)
    for n in range(400):
        clock[0] += 12
        both("on_block", BlockSeen(n, "", "", int(clock[0]), (8 + n % 3) * GWEI))
        if n in (100, 120):  # a hold, then its release: the mode alone changes the picture
            both(
                *(
                    ("hold", "test", Mode.REDUCED, "a test")
                    if n == 100
                    else ("release", "test", "a test")
                )
            )
        held = {
            WETH: 10 * ETH + (n // 50) * ETH // 10,
            USDC: (30_000 + n % 90) * 10**6,
            WBTC: 10**8,
        }
        if 300 <= n < 303:
            held[USDC] = 0  # the held tokens change too
        both("on_inventory", held)
        move = rng.gauss(0, 0.2 if 150 <= n < 200 else 0.001)
        price *= math.exp(move)
        btc *= math.exp(rng.choice((0.9, -0.5)) * move + rng.gauss(0, 0.001))
        both("on_prices", {WETH: 1.0, USDC: price, WBTC: btc})
        if n % 4 == 0:
            found = CandidatesFound(n, (dataclasses.replace(_usdc(10**5), block=n),), seen_at=0.0)
            orders, _ = both("on_candidates", found)
            for order in orders:
                sent += 1
                if 250 <= n < 270:  # reverts: the trade breaker opens, then cools down
                    update = TradeUpdated(order.order_id, TradeStatus.REVERTED, order.mode,
                                          gas_cost=10**15, reason="front-run")  # fmt: skip
                else:
                    update = TradeUpdated(order.order_id, TradeStatus.MINED, order.mode,
                                          realized_profit=rng.randint(-10**6, 10**7),
                                          gas_cost=10**14)  # fmt: skip
                both("on_trade", update)
        assert fast.snapshot() == plain.snapshot()
        assert fast.exposure_scale == plain.exposure_scale
        scales.append(tuple(fast.exposure_scale.values()))
        assert fast.size_caps() == plain.size_caps()
    assert sent > 50 and {"RiskUpdated", "ModeChanged", "AlertRaised"} <= kinds
    assert fast.breakers.pnl_today != fast.breakers.pnl_session  # the day turned
    assert len(set(scales)) > 10  # the correlations moved the scales


@pytest.mark.parametrize("window", [7, 50, 100, 129])
def test_series_without_gaps_are_used_as_they_are_and_give_numpys_figures(window):
    """Gap-free series (used without copying), a token seen only later (its early gaps leave
    the window), an unpriced block and a price of zero (gaps that come and go)."""
    rng = random.Random(window)
    pr = PriceReturns(window)
    prices = {WETH: 1.0, USDC: 3e-16, WBTC: 20.0}
    late = "0x" + "44" * 20
    gap_free = 0
    for block in range(3 * window + 40):
        common = rng.gauss(0, 0.01)
        prices = {t: p * math.exp(common * 0.7 + rng.gauss(0, 0.01)) for t, p in prices.items()}
        seen = dict(prices)
        if block >= window // 2:
            seen[late] = 5.0 * math.exp(common)
        if block == window + 3:
            seen[WBTC] = 0.0  # not a price: a gap
        if block == 2 * window:
            del seen[USDC]  # unpriced for a block
        pr.observe(seen)
        assert pr.volatility() == _reference_volatility(pr)
        assert pr.correlation() == _reference_correlation(pr)
        gap_free += sum(g == 0 for g in pr._gaps)
        data = pr._data()
        assert pr._gaps == [int((~np.isfinite(data[:, i])).sum()) for i in range(data.shape[1])]
    assert gap_free > window and len(pr.correlation()) == 12  # 4 tokens, 6 pairs, both ways
