"""The demo's tmux test fails on what a crash or a logged error really looks like: the scanner
it uses (``ui_tmux.bad_lines``) finds a Python traceback, the rich traceback Textual prints when
the screen crashes, and the supervisor's ERROR and CRITICAL log lines in its own format — and
nothing in a healthy screen's words."""

from __future__ import annotations

import io
import logging

from rich.console import Console
from rich.traceback import Traceback
from ui_tmux import bad_lines, plain

SUPERVISOR_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # appliance/logs.py


def _raise() -> None:
    raise RuntimeError("boom")


def _log_line(level: int) -> str:
    record = logging.LogRecord("appliance.chain", level, __file__, 1, "reserves disagree", (), None)
    return logging.Formatter(SUPERVISOR_FORMAT).format(record)


def test_a_python_traceback_is_found():
    import traceback

    try:
        _raise()
    except RuntimeError:
        text = traceback.format_exc()
    assert bad_lines(text) == ["Traceback (most recent call last):"]


def test_a_rich_traceback_on_a_terminal_is_found():
    try:
        _raise()
    except RuntimeError as exc:
        trace = Traceback.from_exception(type(exc), exc, exc.__traceback__)
    out = io.StringIO()
    Console(file=out, width=80, force_terminal=True, color_system="standard").print(trace)
    found = bad_lines(plain(out.getvalue()))
    assert any("Traceback (most recent call last)" in line for line in found), out.getvalue()


def test_error_and_critical_log_lines_are_found_and_warnings_are_not():
    lines = [_log_line(level) for level in (logging.WARNING, logging.ERROR, logging.CRITICAL)]
    assert bad_lines("\n".join(lines)) == lines[1:]


def test_a_healthy_screens_words_are_not():
    screen = "Errors 0   no errors   Sync errors: none   mode NORMAL   breakers ok   rpc UP"
    assert bad_lines(screen) == []
