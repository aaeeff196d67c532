"""The backtest loop on a scripted two-DEX market: real detector, real risk engine, paper fills."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from appliance.backtest import AlwaysFirst, Competition, MarketBlock
from appliance.backtest.engine import Backtest
from appliance.config import load_config
from appliance.events import PoolInfo, PoolsDiscovered, TokenInfo

EXAMPLE = Path(__file__).resolve().parents[3] / "appliance" / "config" / "examples" / "devnet.toml"
WETH = "0x91c5B5D6a302f3972C547f9ccCF6Ee48e9a5AF47"
USDC = "0xbff70302a2C44B529f4b67231713e3284DE8b117"
A, B = "0x" + "a1" * 20, "0x" + "b2" * 20
E18, E6 = 10**18, 10**6


def market() -> PoolsDiscovered:
    t0, t1 = sorted((WETH, USDC), key=str.lower)
    tokens = (TokenInfo(WETH, "WETH", 18), TokenInfo(USDC, "USDC", 6))
    return PoolsDiscovered(
        tokens, (PoolInfo(A, "uniswap", t0, t1, 30), PoolInfo(B, "sushiswap", t0, t1, 30))
    )


def reserves(weth: int, usdc: int) -> tuple[int, int]:
    t0, _ = sorted((WETH, USDC), key=str.lower)
    return (weth, usdc) if t0 == WETH else (usdc, weth)


def blocks(dislocations: dict[int, float], n: int = 60, base_fee: int = 10**9):
    out = [
        MarketBlock(
            1,
            {A: reserves(1000 * E18, 3_000_000 * E6), B: reserves(800 * E18, 2_400_000 * E6)},
            base_fee,
            1_700_000_000,
        )
    ]
    for number in range(2, n + 1):
        changes = {}
        if number in dislocations:
            usdc = int(2_400_000 * (1 + dislocations[number])) * E6
            changes[B] = reserves(800 * E18, usdc)
        out.append(MarketBlock(number, changes, base_fee, 1_700_000_000 + 12 * number))
    return out


def run(model=None, seed=0, dislocations=None):
    cfg = load_config(EXAMPLE, check_key=False)
    inventory = {WETH: 50 * E18, USDC: 150_000 * E6}
    bt = Backtest(cfg, market(), fill_model=model or AlwaysFirst(), seed=seed, inventory=inventory)
    return bt.run(blocks(dislocations or {10: 0.03, 30: -0.03, 45: 0.0}))


def test_a_dislocation_is_drained_fill_by_fill_as_live_would():
    r = run()
    s = r.summary
    blocks = [t.block for t in r.trades]
    assert s.blocks == 60
    # each dislocation is traded from its block on, at most once per block, each fill laid over
    # the market as paper mode lays it (capped sizes take what they can, then less and less)
    assert blocks[0] == 10 and 30 in blocks and len(blocks) == len(set(blocks))
    assert all(10 <= b < 30 or 30 <= b < 45 for b in blocks)
    first = [t.net_wei for t in r.trades if t.block < 30]
    assert first == sorted(first, reverse=True) and first[-1] > 0
    assert s.net_profit_wei == sum(t.net_wei for t in r.trades) > 0
    assert s.gas_wei == sum(t.gas_wei for t in r.trades) > 0
    assert s.gross_profit_wei == s.net_profit_wei + s.gas_wei
    # the tail too thin to pay is refused: by the gate (min_profit_bps), or already by the
    # strategy's gas pre-filter (measured constants): either way not every block trades
    assert r.rejections.get("min_profit_bps", 0) > 0 or len([b for b in blocks if b < 30]) < 20
    assert r.equity[-1] == (60, s.net_profit_wei)
    # capture: what the fills took of what was offered (the rest of a drained dislocation is
    # offered again and counts again): never more than all of it
    assert s.capture is not None and 0.5 < s.capture <= 1.0


def test_losing_every_race_trades_nothing_but_sees_the_opportunities():
    never = run(Competition(latency_ms=10_000, rival_latency_ms=1, sigma=0.0))
    assert never.summary.trades == 0 and never.lost_races >= 2
    assert never.summary.optimum_gross_wei > 0 and never.summary.capture == 0.0


def test_same_seed_same_run():
    model = Competition(latency_ms=100, rival_latency_ms=100)
    assert run(model, seed=3).summary == run(model, seed=3).summary


def test_the_market_s_price_observations_size_the_trades_as_live():
    """The live market task feeds the risk engine one price observation per block (volatility
    regime -> size multiplier); the backtest feeds the same: in a volatile market the trades
    shrink to the high regime's quarter."""
    base = load_config(EXAMPLE, check_key=False)
    jumpy = dataclasses.replace(
        base, risk=dataclasses.replace(base.risk, vol_medium=1e-9, vol_high=2e-9)
    )
    market_blocks = blocks({25: 0.03}, n=40)
    for i, block in enumerate(market_blocks[1:20], start=1):  # the deep pool wobbles: vol > 0
        block.reserves[A] = reserves(1000 * E18, (3_000_000 + (-1) ** i * 3_000) * E6)
    inventory = {WETH: 50 * E18, USDC: 150_000 * E6}
    calm = Backtest(base, market(), inventory=inventory).run(iter(market_blocks))
    high = Backtest(jumpy, market(), inventory=inventory).run(iter(market_blocks))
    assert calm.trades and high.trades
    cap = base.risk.max_trade_wei
    assert max(t.amount_in for t in calm.trades if t.base_token == WETH) > cap // 4
    assert max(t.amount_in for t in high.trades if t.base_token == WETH) <= cap // 4


def test_the_inventory_is_read_back_as_live_so_the_equity_follows_the_paper_pnl():
    """The live inventory task reads the balances every few seconds; the risk engine values
    them with the paper P&L (the drawdown breaker's equity). The backtest reads them as often
    on the replayed clock: the equity peak follows the paper profits, not the first read."""
    cfg = load_config(EXAMPLE, check_key=False)
    inventory = {WETH: 50 * E18, USDC: 150_000 * E6}
    market_blocks = blocks({10: 0.03}, n=40)
    first = Backtest(cfg, market(), inventory=inventory).run(iter(market_blocks[:2]))
    run = Backtest(cfg, market(), inventory=inventory).run(iter(market_blocks))
    assert run.summary.net_profit_wei > 0 and first.risk is not None and run.risk is not None
    assert first.risk.equity_peak > 0  # valued once the prices are observed
    assert run.risk.equity_peak > first.risk.equity_peak  # the paper profits reached it
