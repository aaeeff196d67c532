"""No controls: every binding and every reachable action only switches views or quits."""

from __future__ import annotations

import inspect

import pytest
from ui_helpers import loaded, on_asyncio

import ui
import ui.screens
import ui.widgets
from ui.app import ALLOWED_ACTIONS, StatusApp
from ui.screens import VIEWS

pytestmark = pytest.mark.timeout(60)

ALLOWED_PARAMS = {"switch_mode": set(VIEWS) | {"next"}, "quit": {None}}


def _bindings(node):
    for bindings in node._bindings.key_to_bindings.values():
        yield from bindings


def _check(app, node, binding) -> None:
    target, name, params = app._parse_action(binding.action, node)
    assert name in ALLOWED_ACTIONS, f"{type(node).__name__}: {binding.key} -> {binding.action}"
    assert target is app, binding.action
    assert (params[0] if params else None) in ALLOWED_PARAMS[name], binding.action


@on_asyncio
async def test_ui_bindings_only_view_switching_and_quit(scenario, make_app):
    app = make_app(scenario)
    async with app.run_test(size=(80, 25)) as pilot:
        await loaded(pilot)
        seen = set()
        for mode in VIEWS:
            await app.switch_mode(mode)
            await pilot.pause()
            nodes = [app, app.screen, *app.screen.walk_children()]
            for node in nodes:
                for binding in _bindings(node):
                    _check(app, node, binding)
                    seen.add(binding.key)
            for key, active in app.active_bindings.items():
                _check(app, active.node, active.binding)
                seen.add(key)
            assert all(not w.can_focus for w in app.screen.walk_children()), "a focusable widget"
        assert seen == {"1", "2", "3", "tab", "q", "ctrl+q"}


def test_ui_bindings_no_action_methods_beyond_the_allow_list():
    """Action methods defined by the ui package itself (not inherited from Textual)."""
    classes = [StatusApp, *VIEWS.values(), ui.screens.StatusScreen]
    classes += [c for _, c in inspect.getmembers(ui.widgets, inspect.isclass)]
    own = {
        f"{cls.__name__}.{name}"
        for cls in classes
        for name in vars(cls)
        if name.startswith("action_")
    }
    assert own == {"StatusApp.action_switch_mode", "StatusApp.action_quit"}


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
            expected = name in ALLOWED_ACTIONS
            assert bool(app.check_action(name, ("overview",))) is expected, name
            assert bool(app.screen.check_action(name, ("overview",))) is expected, name
        for action in (
            "app.screenshot",
            "app.toggle_dark",
            "app.command_palette",
            "app.change_theme",
            "screen.copy_text",
            "app.suspend_process",
            "app.switch_mode('nonexistent')",
            "app.push_screen('overview')",
        ):
            assert await app.run_action(action) is False, action
        assert list(cwd.iterdir()) == []  # no screenshot was written
        assert app.is_running and app.current_mode == "overview"
    assert StatusApp.ENABLE_COMMAND_PALETTE is False
    assert ui.__all__ == ["StatusApp", "StatusSource"]
