"""The market panel on the trading view: top searchers by realized profit (1 h / 24 h), our
capture rate and the hour's top rejection reasons, read from a journal the store's Recorder
wrote (``market_scenario``); snapshots at 40x12 (the 3.5-inch display), 80x24 and 120x40.

Update after a deliberate change with ``pytest tests/ui/test_ui_market.py --snapshot-update``
and look at the pictures before committing them.
"""

from __future__ import annotations

import market_scenario
import pytest
from market_scenario import RIVAL, ROUTER_BOT, SANDWICHER, US
from ui_helpers import loaded, on_asyncio, screen_text

pytestmark = pytest.mark.timeout(120)

SIZES = {"40x12": (40, 12), "80x24": (80, 24), "120x40": (120, 40)}
E15 = 10**15


@pytest.mark.parametrize("size", SIZES)
def test_ui_snapshot_market_panel(snap_compare, tmp_path, make_app, size):
    app = make_app(market_scenario.build(tmp_path), view="trading")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=loaded)


def test_the_market_figures_are_the_journals_exactly(tmp_path, make_source):
    with make_source(market_scenario.build(tmp_path)) as source:
        view = source.load().market
    assert view.read
    board = [(s.searcher, s.symbol, s.profit_1h, s.profit_24h, s.count) for s in view.searchers]
    assert board == [
        (RIVAL, "WETH", 40 * E15, 237 * E15, 3),  # 200 - 3 (a losing one) + 40
        (ROUTER_BOT, "WETH", 5 * E15, 95 * E15, 2),
        (US, "WETH", 10 * E15, 10 * E15, 1),
        (SANDWICHER, "USDC", 1_500 * 10**6, 1_500 * 10**6, 1),
    ]
    assert [s.ours for s in view.searchers] == [False, False, True, False]
    # ours: the paper fill (10e15) over ours + others' arbitrage profit of the window
    assert (view.ours_24h, view.all_24h, view.capture_symbol) == (10 * E15, 342 * E15, "WETH")
    assert view.capture_24h == pytest.approx(10 / 342)
    assert view.capture_1h == pytest.approx(10 / 55)
    assert view.rejections[:3] == (("min_profit", 4), ("max_gas_price", 3), ("stale_head", 2))
    assert (view.opportunities_1h, view.traded_1h) == (14, 4)


def test_a_journal_without_intelligence_says_so(tmp_path, make_source):
    import ui_scenario

    with make_source(ui_scenario.build(tmp_path)) as source:
        view = source.load().market
    assert view.read and view.searchers == () and view.capture_24h is None


@pytest.mark.parametrize(
    ("size", "needles"),
    [
        ((40, 12), ("capture 18.2%/2.9%", "why: min_profit 4")),
        ((80, 24), ("top 0x0000..0901 +0.2370 WETH", "min_profit 4  max_gas_price 3")),
        (
            (120, 40),
            ("0x0000..0904 (us)", "+1500.0000 USDC", "1 (1 sw)", "ours 0.0100 of 0.3420 WETH"),
        ),
    ],
)
@on_asyncio
async def test_ui_market_panel_shows_its_essentials(tmp_path, make_app, size, needles):
    app = make_app(market_scenario.build(tmp_path), view="trading")
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        text = screen_text(app)
        for needle in (*needles, "WETH>USDC>WETH", "0x0000..c3f3"):  # trading's own essentials
            assert needle in text, (needle, text)
        assert text.isascii()
