"""Helpers shared by the status-screen tests (importable: ``tests/ui`` is on ``sys.path``)."""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys

from ui.source import OsFacts

__all__ = ["FACTS", "dead_pid", "loaded", "on_asyncio", "screen_text"]

FACTS = OsFacts(disk_free_bytes=12_345_678_901, uptime_s=86_400 * 2 + 3_723)


def on_asyncio(fn):
    """Run an ``async def`` test on asyncio (Textual's loop); the suite's default is Trio."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


def dead_pid() -> int:
    """A pid that existed and is gone (its process was reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


async def loaded(pilot, n: int = 1) -> None:
    """Wait until the app has handled ``n`` more snapshots (the refresh worker is a thread)."""
    app = pilot.app
    target = app.loads + n
    for _ in range(500):
        if app.loads >= target:
            break
        await pilot.pause(0.02)
    else:
        raise AssertionError("the app never loaded a snapshot")
    await pilot.pause()


def screen_text(app) -> str:
    """The current screen as plain text, one line per terminal row (what a terminal shows)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
