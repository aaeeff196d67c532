"""Equity values everything the account holds (#14.10): every base token at the candidate-implied
rate into the reference token, plus the native gas balance, in both funding modes and in paper
mode (paper P&L added: nothing moved on the chain). Exact integers."""

from __future__ import annotations

import dataclasses

import pytest

from appliance.config import RiskConfig
from appliance.events import Candidate, CandidatesFound, Leg, TradeStatus, TradeUpdated
from appliance.modes import Mode
from appliance.risk import RiskEngine
from appliance.risk.valuation import Valuation
from appliance.safety import SafetyLatch

WETH, USDC = "0x" + "11" * 20, "0x" + "22" * 20
GWEI, ETH = 10**9, 10**18


def usdc_candidate(gas_price: int) -> Candidate:
    """A USDC cycle whose 200,000 gas at ``gas_price`` cost 1.8 USDC: 1 ETH = 3,000 USDC."""
    gas_native = 200_000 * gas_price
    return Candidate(
        block=5,
        legs=(Leg("0x" + "aa" * 20, USDC, WETH, 30), Leg("0x" + "bb" * 20, WETH, USDC, 30)),
        base_token=USDC,
        amount_in=1000 * 10**6,
        amount_out=1010 * 10**6,
        gas_estimate=200_000,
        gas_cost=gas_native * 3000 * 10**6 // ETH,
    )


def test_candidate_implied_rate_gas_and_paper_pnl_are_all_counted():
    v = Valuation(WETH)
    assert v.equity({WETH: ETH, USDC: 3000 * 10**6}, None) is None  # USDC has no rate yet
    assert v.unvalued == (USDC,)
    v.observe_candidate(usdc_candidate(10 * GWEI), 10 * GWEI)
    assert v.equity({WETH: ETH, USDC: 3000 * 10**6}, None) == 2 * ETH
    assert v.equity({WETH: ETH, USDC: 3000 * 10**6}, 5 * 10**16) == 2 * ETH + 5 * 10**16
    v.paper_pnl = -(10**15)
    assert v.equity({WETH: ETH}, 0) == ETH - 10**15
    v2 = Valuation(WETH)  # the market's price observations stand in until a candidate is seen
    v2.observe_prices({WETH: 1.0, USDC: ETH / (3000 * 10**6)})
    assert abs(v2.equity({USDC: 3000 * 10**6}, None) - ETH) < 10**6


def _engine(tmp_path, *, flash: bool) -> RiskEngine:
    cfg = dataclasses.replace(RiskConfig(), max_drawdown_pct=10.0)
    engine = RiskEngine(
        cfg, latch=SafetyLatch(tmp_path), equity_token=WETH, flash=flash, tip_wei=GWEI
    )
    engine.startup_records()
    engine.on_health(True, True)
    from appliance.events import BlockSeen

    engine.on_block(BlockSeen(5, "0x05", "0x04", 0, 9 * GWEI))
    engine.on_candidates(CandidatesFound(5, (usdc_candidate(10 * GWEI),), 0.0))
    return engine


def test_drawdown_sees_a_gas_and_stable_token_loss_in_both_funding_modes(tmp_path):
    for flash in (False, True):
        engine = _engine(tmp_path / str(flash), flash=flash)
        held = {WETH: 0 if flash else ETH, USDC: 30_000 * 10**6}  # 10 ETH of USDC
        engine.on_inventory(held, gas_balance_wei=ETH)
        peak = (0 if flash else ETH) + 10 * ETH + ETH
        assert engine.breakers.equity == engine.breakers.equity_peak == peak
        # the stable side halves (10 ETH -> 5 ETH): far beyond 10 % of the whole account
        engine.on_inventory({**held, USDC: 15_000 * 10**6}, gas_balance_wei=ETH)
        assert engine.breakers.states["drawdown"] == "open", flash
        assert engine.mode is Mode.PAUSED


def test_paper_fills_move_the_equity_as_live_ones(tmp_path):
    engine = _engine(tmp_path, flash=False)
    held = {WETH: 10 * ETH, USDC: 0}
    engine.on_inventory(held, gas_balance_wei=0)
    for i in range(3):  # three losing paper trades; the chain's balances do not move
        engine.on_trade(
            TradeUpdated(f"p{i}", TradeStatus.PAPER, Mode.NORMAL, gas_cost=0, value_ref=-ETH // 2)
        )
        engine.on_inventory(held, gas_balance_wei=0)
    assert engine.breakers.equity == 10 * ETH - 3 * ETH // 2
    assert engine.breakers.states["drawdown"] == "open"  # 15 % below the peak


def test_var_caps_trade_size_only_when_configured(tmp_path):
    def engine_with(var_caps: bool) -> RiskEngine:
        cfg = dataclasses.replace(
            RiskConfig(), var_caps_trade=var_caps, session_loss_wei=10**18, daily_loss_wei=10**19
        )
        e = RiskEngine(cfg, latch=SafetyLatch(tmp_path), equity_token=WETH)
        e.startup_records()
        e.on_health(True, True)
        e.on_inventory({WETH: 100 * ETH})
        for i, pnl in enumerate([-(4 * 10**18) // 10, 10**16, -(4 * 10**18) // 10, 10**16]):
            e.on_trade(TradeUpdated(f"t{i}", TradeStatus.PAPER, Mode.NORMAL, value_ref=pnl))
        return e

    off, on = engine_with(False), engine_with(True)
    assert off.var_factor == 1.0
    # 99 % VaR 0.4 ETH against what is left of the 1 ETH session budget (1 - 0.78 = 0.22 ETH)
    assert on.var_factor == pytest.approx(0.22 / 0.4)
    assert on.size_caps()[WETH] < off.size_caps()[WETH]
