"""The read-only status screen (``arb-appliance ui``), a Textual app for the console display.

Its only inputs are the state file and the journal, both opened read-only through
:mod:`appliance.store` (``ui.source``); it imports no Trio, chain, trading or hardware code, and
nothing under ``appliance`` imports Textual (both tested). No binding or action can touch trading:
the keys only switch between read-only views, page the help overlay (``?``) and quit (``q`` or
Ctrl-C, both disabled in kiosk mode on tty1). Amounts, addresses and the health words come from
:mod:`appliance.units`, shared with ``arb-appliance status`` and the watchdog.

Layout::

    ui/app.py        StatusApp: the refresh worker, views (modes), the action allow-list
    ui/source.py     StatusSource: state file + journal -> one immutable Status per refresh
    ui/status.py     Status and its parts (plain frozen dataclasses, no Textual)
    ui/format.py     pure formatting: ages, sizes, latencies, line flow
    ui/help.py       the help overlay's text and pages (pure)
    ui/messages.py   SnapshotLoaded, SourceFailed
    ui/screens/      one Screen per view, and the help overlay
    ui/widgets/      one widget per file (sparklines: Textual's, ASCII on the console)
"""

from __future__ import annotations

__all__ = ["StatusApp", "StatusSource"]


def __getattr__(name: str):  # lazy: ``import ui.source`` must not pull in Textual
    if name == "StatusApp":
        from ui.app import StatusApp

        return StatusApp
    if name == "StatusSource":
        from ui.source import StatusSource

        return StatusSource
    raise AttributeError(f"module 'ui' has no attribute {name!r}")
