"""A private tmux server for the real-terminal tests (its own socket: never touches others')."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

__all__ = ["Tmux", "bad_lines", "open_for_writing", "plain", "writable_mappings"]

ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-B]|[=>78cDEHM])")
# what a crash or a logged error looks like: a Python or rich traceback, an ERROR/CRITICAL line
BAD = re.compile(r"Traceback \(most recent call last\)|\bERROR\b|\bCRITICAL\b")


def plain(raw: str) -> str:
    """A terminal's raw output without its escape sequences and carriage returns."""
    return ANSI.sub("", raw).replace("\r", "")


def bad_lines(text: str) -> list[str]:
    """The lines of ``text`` that show a traceback or an ERROR/CRITICAL log line."""
    return [line.strip() for line in text.splitlines() if BAD.search(line)]


class Tmux:
    def __init__(self, socket: Path, width: int, height: int, command: str) -> None:
        self.socket = str(socket)
        conf = Path(socket).with_suffix(".conf")
        conf.write_text("set -g remain-on-exit on\n")  # a crash stays readable in the pane
        self._conf = str(conf)
        self._tmux("new-session", "-d", "-s", "ui", "-x", str(width), "-y", str(height), command)

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-S", self.socket, "-f", self._conf, *args],
            capture_output=True,
            text=True,
            timeout=30,
            env=_clean_env(),
        )
        if out.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {out.stderr.strip()!r}")
        return out.stdout

    def capture(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "ui")

    def log_to(self, path: Path) -> None:
        """Append everything the pane's program writes (raw, escapes included) to ``path``:
        what scrolled by or was overdrawn by the full-screen app too."""
        self._tmux("pipe-pane", "-o", "-t", "ui", f"cat >> {shlex.quote(str(path))}")

    def dead(self) -> bool:
        """The pane's program has exited (the pane remains: ``remain-on-exit``)."""
        return self._tmux("display-message", "-p", "-t", "ui", "#{pane_dead}").strip() == "1"

    def pane_pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", "ui", "#{pane_pid}").strip())

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-t", "ui", "-x", str(width), "-y", str(height))

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "ui", *keys)

    def wait_for(self, *needles: str, timeout: float = 60.0, check=None) -> str:
        """The pane once it shows every needle and ``check(text)`` holds (generous timeout:
        the machine may be busy; this waits for a state, it does not assert a duration)."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.capture()
            if all(n in text for n in needles) and (check is None or check(text)):
                return text
            time.sleep(0.2)
        size = self._tmux(
            "display-message", "-p", "-t", "ui", "#{pane_width}x#{pane_height}"
        ).strip()
        raise AssertionError(f"the pane ({size}) never showed {needles!r}; it shows:\n{text}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=30)


def _clean_env() -> dict[str, str]:
    """Our environment minus COLUMNS/LINES (set by a pytest plugin): Textual would believe them
    over the terminal and never follow a resize."""
    return {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


def open_files(pid: int) -> set[str]:
    """Base names of what the process holds open (an fd closed mid-scan is skipped: the screen's
    own threads open and close descriptors while we look)."""
    names = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            names.add(os.path.basename(os.readlink(f"/proc/{pid}/fd/{fd}")))
        except FileNotFoundError:
            continue
    return names


def open_for_writing(pid: int) -> list[str]:
    """Regular files the process holds open with write access (from /proc/<pid>/fdinfo)."""
    bad = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            flags = int(
                Path(f"/proc/{pid}/fdinfo/{fd}").read_text().split("flags:")[1].split()[0], 8
            )
        except (OSError, IndexError):
            continue
        if (
            target.startswith("/")
            and os.path.isfile(target)
            and flags & os.O_ACCMODE != os.O_RDONLY
        ):
            bad.append(f"{target} (flags {flags:o})")
    return bad


def writable_mappings(pid: int, under: str) -> list[str]:
    """Shared file mappings under ``under`` that are writable (from /proc/<pid>/maps)."""
    bad = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and parts[5].startswith(under) and "w" in parts[1]:
            bad.append(line)
    return bad
