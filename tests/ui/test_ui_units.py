"""Every amount in its own unit: opportunity and trade rows in their base token (WETH 18
decimals, USDC 6), P&L in the reference token (WETH here) as the exact sum of ``value_ref``."""

from __future__ import annotations

import ui_scenario
from ui_helpers import loaded, on_asyncio, screen_text
from ui_scenario import POOLS, T0, USDC, WETH

from appliance.events import (
    Candidate,
    CandidatesFound,
    Leg,
    OrderApproved,
    TradeStatus,
    TradeUpdated,
)
from appliance.modes import Mode
from appliance.units import amount
from ui.widgets.risk import _exposure

GAS = 150_000 * 2 * 10**9  # native wei
WETH_PROFIT = 1_234_567_890_123_456  # 0.001234... WETH
USDC_PROFIT = 2_345_678  # 2.345678 USDC
WETH_VALUE = WETH_PROFIT - GAS  # exact: WETH is the reference token
USDC_VALUE = USDC_PROFIT * 10**18 // (3000 * 10**6) - GAS  # at 3000 USDC per ETH, floored
WETH_NET = WETH_PROFIT - GAS  # 0.000934... WETH
USDC_NET = USDC_PROFIT - 900_000  # 1.445678 USDC: the gas the candidate priced, in USDC


def _mixed_events() -> list[tuple[float, object]]:
    weth = Candidate(
        block=1011,
        legs=(Leg(POOLS[0].address, WETH, USDC, 30), Leg(POOLS[1].address, USDC, WETH, 30)),
        base_token=WETH,
        amount_in=3 * 10**18 // 4,
        amount_out=3 * 10**18 // 4 + WETH_PROFIT,
        gas_estimate=150_000,
        gas_cost=GAS,
    )
    usdc = Candidate(
        block=1011,
        legs=(Leg(POOLS[1].address, USDC, WETH, 30), Leg(POOLS[0].address, WETH, USDC, 30)),
        base_token=USDC,
        amount_in=1500 * 10**6,
        amount_out=1500 * 10**6 + USDC_PROFIT,
        gas_estimate=150_000,
        gas_cost=900_000,  # 0.9 USDC
    )
    at = T0 + 1
    out: list[tuple[float, object]] = [(at, CandidatesFound(1011, (weth, usdc), 0.0))]
    for oid, cand, profit, value, net in (
        ("mw", weth, WETH_PROFIT, WETH_VALUE, WETH_NET),
        ("mu", usdc, USDC_PROFIT, USDC_VALUE, USDC_NET),
    ):
        out.append((at, OrderApproved(cand, Mode.NORMAL, oid)))
        update = TradeUpdated(
            oid,
            TradeStatus.PAPER,
            Mode.NORMAL,
            tx_hash=None,
            amount_in=cand.amount_in,
            expected_profit=cand.gross_profit,
            realized_profit=profit,
            net_profit=net,
            gas_used=150_000,
            gas_cost=GAS,
            base_token=cand.base_token,
            value_ref=value,
        )
        out.append((at + 1, update))
    return out


def _old_pnl() -> int:
    """The base scenario's paper trades (no base_token: WETH rows; their value is their net)."""
    events = [e for _, e in ui_scenario.scenario_events() if isinstance(e, TradeUpdated)]
    return sum(e.value_ref for e in events)


def test_ui_units_rows_in_their_own_token_and_pnl_in_the_reference(tmp_path, make_source):
    sc = ui_scenario.build(tmp_path, ui_scenario.scenario_events() + _mixed_events())
    with make_source(sc) as source:
        status = source.load()
    by_path = {o.path: o for o in status.opportunities if o.block == 1011 and o.amount_in}
    weth_opp, usdc_opp = by_path["WETH>USDC>WETH"], by_path["USDC>WETH>USDC"]
    assert (weth_opp.symbol, weth_opp.decimals) == ("WETH", 18)
    assert (usdc_opp.symbol, usdc_opp.decimals) == ("USDC", 6)
    usdc_trade, weth_trade = status.trades[:2]  # newest first
    assert (usdc_trade.symbol, usdc_trade.decimals, usdc_trade.profit) == ("USDC", 6, USDC_PROFIT)
    assert (weth_trade.symbol, weth_trade.decimals, weth_trade.profit) == ("WETH", 18, WETH_PROFIT)
    assert status.trades[2].symbol == "WETH"  # an old row: its unit from its opportunity
    # P&L: reference-token wei, exactly the hand-computed sum (never WETH wei + USDC wei)
    expected = _old_pnl() + WETH_VALUE + USDC_VALUE
    assert status.pnl_today == expected == status.pnl_7d
    assert status.equity[-1] == expected
    assert (status.symbol, status.decimals) == ("WETH", 18)
    assert amount(USDC_PROFIT, 6, "USDC", sign=True) == "+2.345678 USDC"
    assert amount(WETH_PROFIT, 18, "WETH", sign=True) == "+0.001234 WETH"
    assert _exposure((("USDC", 6, 1500 * 10**6), ("WETH", 18, 10**18))) == (
        "1500.0000 USDC + 1.0000 WETH"
    )


@on_asyncio
async def test_ui_units_on_screen(tmp_path, make_app):
    sc = ui_scenario.build(tmp_path, ui_scenario.scenario_events() + _mixed_events())
    for size in ((120, 40), (80, 24), (60, 20)):
        app = make_app(sc, view="trading")
        async with app.run_test(size=size) as pilot:
            await loaded(pilot)
            text = screen_text(app)
        assert "+1.445678 USDC" in text and "+0.000934 WETH" in text  # trade rows: net
        if size[0] >= 80:  # gross and gas beside it (narrower: gross goes first)
            assert "2.345678" in text and "0.001234" in text and "0.000300" in text
        if size[0] >= 120:  # narrower: the size column goes (before gross and gas)
            assert "1500.0000" in text and "0.7500" in text  # USDC 6 and WETH 18 decimals
        assert "999999" not in text and "750000000000" not in text  # no unit mix-up
        assert text.isascii() and all(len(line) <= size[0] for line in text.splitlines())
