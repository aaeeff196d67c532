"""Pilot tests: the screen shows what the store wrote, and says NOT LIVE when it is not."""

from __future__ import annotations

import os
import signal

import pytest
import ui_scenario
from ui_helpers import dead_pid, loaded, on_asyncio, screen_text

from ui.widgets.mode_banner import ModeBanner

pytestmark = pytest.mark.timeout(60)


@on_asyncio
async def test_ui_pilot_live_overview_shows_store_values(scenario, make_app):
    app = make_app(scenario)
    async with app.run_test(size=(80, 25)) as pilot:
        await loaded(pilot)
        text = screen_text(app)
        banner = app.screen.query_one(ModeBanner)
        assert banner.has_class("-normal")
        assert "N O R M A L" in text and "trading (paper)" in text
        assert "head #1011 age 13s" in text  # last block at T0 - 12 s, clock at T0 + 1 s
        # P&L: the 4 paper trades' realized profit (one lost its gas), exact wei -> 6 places
        assert "P&L today +0.007860 WETH" in text
        assert "WETH>USDC>WETH" in text and "REJ min_profit" in text
        assert "0x0000..c3f3" in text  # the latest trade's short tx hash
        assert "127.0.0.1:8546" in text and "LAG" in text
        assert "Kill switch: armed" in text
        assert "STALE" not in text and "NOT LIVE" not in text


ESSENTIALS = {  # what each view must show at every size, the 3.5-inch display included
    "overview": ("WETH>USDC>", "paper", "+0.0027", "0x0000..c3f3", "opps/min"),
    "trading": ("WETH>USDC>WETH", "REJ", "0x0000..c3f3"),
    "health": ("127.0.0.1:8545", "OK", "breakers all OK", "daily loss 0.0000"),
}


@pytest.mark.parametrize("size", [(40, 12), (60, 20), (80, 24), (120, 40)])
@pytest.mark.parametrize("view", ["overview", "trading", "health"])
@on_asyncio
async def test_ui_pilot_essentials_visible_without_scrolling(scenario, make_app, size, view):
    app = make_app(scenario, view=view)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        lines = screen_text(app).splitlines()
        assert len(lines) == size[1]
        text = "\n".join(lines)
        assert "N O R M A L" in text
        assert "13s" in text  # the head's age
        assert "P&L today +0.007860 WETH" in text or "P&L +0.007860 WETH" in text
        for needle in ESSENTIALS[view]:
            assert needle in text, (needle, text)
        assert "?:help" in text
        assert all(len(line) <= size[0] for line in lines)
        assert text.isascii(), [ch for ch in text if not ch.isascii()]


@on_asyncio
async def test_ui_pilot_health_view(scenario, make_app):
    app = make_app(scenario, view="health")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        text = screen_text(app)
        assert "breakers all OK (daily_loss, rpc, trade)" in text
        assert "daily loss 0.000000 / 0.100000 WETH (0%)" in text  # the P&L (reference) unit
        assert "VaR/CVaR 95% 0.0021/0.0034 WETH" in text and "99% 0.0040/0.0052 WETH" in text
        assert "CPU 12.5%  RSS 61.3 MB" in text
        assert "disk free 12.3 GB" in text
        assert "supervisor up 3h02m" in text


@on_asyncio
async def test_ui_pilot_stale_state_file_is_not_live(scenario, make_app):
    app = make_app(scenario, age_s=60.0)  # the writer's pid is alive, its file stopped moving
    async with app.run_test(size=(80, 25)) as pilot:
        await loaded(pilot)
        text = screen_text(app)
        banner = app.screen.query_one(ModeBanner)
        assert banner.has_class("-notlive") and not banner.has_class("-normal")
        assert "NOT LIVE: no update for 60s" in text
        assert "numbers below are NOT live" in text
        assert "[STALE]" in text
        assert "N O R M A L" not in text
        for panel in app.screen.query(".box"):
            assert panel.has_class("stale")
        assert text.count("[STALE]") >= 1 + len(app.screen.query(".box"))  # every title too


@on_asyncio
async def test_ui_pilot_dead_writer_is_supervisor_not_running(tmp_path, make_app):
    sc = ui_scenario.build(tmp_path, pid=dead_pid())
    app = make_app(sc, age_s=0.5)  # even a fresh file: its writer is gone
    async with app.run_test(size=(60, 20)) as pilot:
        await loaded(pilot)
        text = screen_text(app)
        assert "SUPERVISOR NOT RUNNING" in text
        assert "[STALE]" in text


@on_asyncio
async def test_ui_pilot_no_files_at_all(tmp_path, make_app):
    sc = ui_scenario.Scenario(tmp_path / "nodata", tmp_path / "norun", 0.0)
    app = make_app(sc)
    async with app.run_test(size=(80, 25)) as pilot:
        await loaded(pilot)
        assert "NO DATA" in screen_text(app)
    assert not (tmp_path / "nodata").exists()  # a reader never creates the journal


@on_asyncio
async def test_ui_pilot_follows_the_writer_to_emergency(tmp_path, make_app):
    """The writer stays open (like the store task) and journals the kill switch while we watch."""
    recorder = ui_scenario.open_recorder(tmp_path / "data", tmp_path / "run")
    try:
        last = ui_scenario.feed(recorder, ui_scenario.scenario_events())
        sc = ui_scenario.Scenario(tmp_path / "data", tmp_path / "run", last)
        app = make_app(sc, age_s=1.0, refresh_hz=20.0)
        async with app.run_test(size=(80, 25)) as pilot:
            await loaded(pilot)
            assert app.screen.query_one(ModeBanner).has_class("-normal")
            ui_scenario.feed(recorder, ui_scenario.emergency_events(last + 0.5))
            await loaded(pilot, 2)
            text = screen_text(app)
            assert app.screen.query_one(ModeBanner).has_class("-emergency")
            assert "E M E R G E N C Y" in text
            assert "Kill switch: LATCHED - to re-arm: release it, then hold the switch 5 s." in text
    finally:
        recorder.state_writer.close()
        recorder.journal.close()


@on_asyncio
async def test_ui_pilot_latch_file_alone_shows_latched(scenario, make_app):
    (scenario.data_dir / "emergency.latch").write_text("{}")
    app = make_app(scenario, rearm_hold_s=7.0)
    async with app.run_test(size=(80, 25)) as pilot:
        await loaded(pilot)
        assert "hold the switch 7 s" in screen_text(app)


@on_asyncio
async def test_ui_pilot_view_keys(scenario, make_app):
    app = make_app(scenario)
    async with app.run_test(size=(80, 25)) as pilot:
        await loaded(pilot)
        assert app.current_mode == "overview"
        for key, mode in (("2", "trading"), ("3", "health"), ("1", "overview"), ("tab", "trading")):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode
        assert "2:TRADING" in screen_text(app)


@on_asyncio
async def test_ui_pilot_quit_and_kiosk(scenario, make_app):
    app = make_app(scenario)
    async with app.run_test(size=(80, 25)) as pilot:
        await loaded(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running

    kiosk = make_app(scenario, kiosk=True)
    async with kiosk.run_test(size=(80, 25)) as pilot:
        await loaded(pilot)
        for key in ("q", "ctrl+q", "ctrl+c", "escape"):
            await pilot.press(key)
            await pilot.pause()
            assert kiosk.is_running, key
        assert "q:quit" not in screen_text(kiosk)


def test_ui_pilot_no_signal_handlers_changed():
    """Sanity for the tmux tests: SIGUSR1 is for ``run``, the screen never installs a handler."""
    assert signal.getsignal(signal.SIGUSR1) in (signal.SIG_DFL, None)
    assert os.getpid() > 0


@pytest.mark.parametrize(
    ("extra", "css", "words"),
    [
        ("paused", "-warn", "P A U S E D"),
        ("reduced", "-warn", "R E D U C E D"),
        ("fault", "-fault", "F A U L T"),
    ],
)
@on_asyncio
async def test_ui_pilot_banner_colours_follow_the_leds(tmp_path, make_app, extra, css, words):
    from appliance.events import LedsChanged, ModeChanged
    from appliance.modes import Mode

    at = ui_scenario.T0
    more = {
        "paused": [(at, ModeChanged(at, Mode.NORMAL, Mode.PAUSED, "daily loss", "breaker"))],
        "reduced": [(at, ModeChanged(at, Mode.NORMAL, Mode.REDUCED, "volatility", "breaker"))],
        "fault": [(at, LedsChanged("off", "off", "fast"))],
    }[extra]
    sc = ui_scenario.build(tmp_path, [*ui_scenario.scenario_events(), *more])
    app = make_app(sc)
    async with app.run_test(size=(60, 20)) as pilot:
        await loaded(pilot)
        banner = app.screen.query_one(ModeBanner)
        assert banner.has_class(css)
        assert [
            c
            for c in ("-normal", "-warn", "-emergency", "-fault", "-notlive")
            if banner.has_class(c)
        ] == [css]
        assert words in screen_text(app)


@on_asyncio
async def test_ui_pilot_fault_uses_the_one_vocabulary(tmp_path, make_app):
    events = ui_scenario.scenario_events() + ui_scenario.fault_events(ui_scenario.T0 + 1)
    sc = ui_scenario.build(tmp_path, events)
    for size in ((40, 12), (80, 24)):
        app = make_app(sc, view="health")
        async with app.run_test(size=size) as pilot:
            await loaded(pilot)
            text = screen_text(app)
            assert app.screen.query_one(ModeBanner).has_class("-fault")
            assert "FAULT - NORMAL" in text or "F A U L T" in text
            assert "TRIPPED" in text and "RETRY" in text and "trade TRIPPED" in text
            assert " open" not in text and "half-open" not in text
            assert any("127.0.0.1:8545" in line and "TRIPPED" in line for line in text.splitlines())
