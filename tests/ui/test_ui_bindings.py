"""No controls: every binding and every reachable action only switches views, shows the help
overlay or quits (Ctrl-C like ``q``; neither in kiosk mode)."""

from __future__ import annotations

import inspect

import pytest
from ui_helpers import loaded, on_asyncio, screen_text

import ui
import ui.screens
import ui.widgets
from ui.app import ALLOWED_ACTIONS, HELP_PARAMS, StatusApp
from ui.screens import VIEWS
from ui.screens.help import HelpScreen

pytestmark = pytest.mark.timeout(60)

ALLOWED_PARAMS = {"switch_mode": set(VIEWS) | {"next"}, "help": set(HELP_PARAMS), "quit": {None}}


def _bindings(node):
    for bindings in node._bindings.key_to_bindings.values():
        yield from bindings


def _check(app, node, binding) -> None:
    target, name, params = app._parse_action(binding.action, node)
    assert name in ALLOWED_ACTIONS, f"{type(node).__name__}: {binding.key} -> {binding.action}"
    assert target is app, binding.action
    assert (params[0] if params else None) in ALLOWED_PARAMS[name], binding.action


def _check_screen(app, seen: set[str]) -> None:
    nodes = [app, app.screen, *app.screen.walk_children()]
    for node in nodes:
        for binding in _bindings(node):
            _check(app, node, binding)
            seen.add(binding.key)
    for key, active in app.active_bindings.items():
        _check(app, active.node, active.binding)
        seen.add(key)
    assert all(not w.can_focus for w in app.screen.walk_children()), "a focusable widget"


@on_asyncio
async def test_ui_bindings_only_view_switching_help_and_quit(scenario, make_app):
    app = make_app(scenario)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        seen: set[str] = set()
        for mode in VIEWS:
            await app.switch_mode(mode)
            await pilot.pause()
            _check_screen(app, seen)
            await pilot.press("question_mark")  # the help overlay: its bindings too
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            _check_screen(app, seen)
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)
        assert seen == {"1", "2", "3", "tab", "question_mark", "escape", "q", "ctrl+q", "ctrl+c"}


@on_asyncio
async def test_ui_bindings_ctrl_c_quits_like_q(scenario, make_app):
    app = make_app(scenario)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running
    kiosk = make_app(scenario, kiosk=True)  # tty1: neither q nor Ctrl-C leaves the screen
    async with kiosk.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+c", "q")
        await pilot.pause()
        assert kiosk.is_running
        await pilot.press("question_mark")  # but help works in kiosk mode
        await pilot.pause()
        assert isinstance(kiosk.screen, HelpScreen)


@on_asyncio
async def test_ui_bindings_help_pages_cover_everything_and_close(scenario, make_app):
    from ui.help import help_lines

    for size in ((40, 12), (80, 24)):
        app = make_app(scenario)
        async with app.run_test(size=size) as pilot:
            await loaded(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen)
            shown = []
            pages = len(help_screen.pages)
            for _ in range(pages):
                assert app.screen is help_screen
                text = screen_text(app)
                assert text.isascii() and all(len(line) <= size[0] for line in text.splitlines())
                shown.append(" ".join(" ".join(text.replace("|", " ").split()).split()))
                await pilot.press("question_mark")
                await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)  # past the last page: closed
            assert app.is_running
        every_word = " ".join(shown)
        for must in ("TRIPPED", "RETRY", "DOWN", "LEDS", "re-arm", "hold it again for 5 s"):
            assert must in every_word, (size, must)
        assert pages >= 2 and f"/{pages}" in every_word  # "page 1/N" in the frame
        assert help_lines(None, quit_key=None, views=["Overview"])[0].endswith("no key can trade.")


def test_ui_bindings_no_action_methods_beyond_the_allow_list():
    """Action methods defined by the ui package itself (not inherited from Textual)."""
    classes = [StatusApp, *VIEWS.values(), ui.screens.StatusScreen, HelpScreen]
    classes += [c for _, c in inspect.getmembers(ui.widgets, inspect.isclass)]
    own = {
        f"{cls.__name__}.{name}"
        for cls in classes
        for name in vars(cls)
        if name.startswith("action_")
    }
    assert own == {"StatusApp.action_switch_mode", "StatusApp.action_help", "StatusApp.action_quit"}


@on_asyncio
async def test_ui_bindings_textual_builtin_actions_are_refused(
    scenario, make_app, tmp_path, monkeypatch
):
    cwd = tmp_path / "cwd"  # where Textual's screenshot action would write
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    app = make_app(scenario)
    async with app.run_test(size=(80, 25)) as pilot:
        await loaded(pilot)
        builtins = [n[len("action_") :] for n in dir(app) if n.startswith("action_")]
        assert "screenshot" in builtins and "command_palette" in builtins  # the probe works
        for name in builtins:
            param = "next" if name == "help" else "overview"
            expected = name in ALLOWED_ACTIONS
            assert bool(app.check_action(name, (param,))) is expected, name
            assert bool(app.screen.check_action(name, (param,))) is expected, name
        for action in (
            "app.screenshot",
            "app.toggle_dark",
            "app.command_palette",
            "app.change_theme",
            "screen.copy_text",
            "app.suspend_process",
            "app.switch_mode('nonexistent')",
            "app.push_screen('overview')",
            "app.help('anything')",
        ):
            assert await app.run_action(action) is False, action
        assert list(cwd.iterdir()) == []  # no screenshot was written
        assert app.is_running and app.current_mode == "overview"
    assert StatusApp.ENABLE_COMMAND_PALETTE is False
    assert ui.__all__ == ["StatusApp", "StatusSource"]
