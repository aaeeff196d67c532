"""Choosing gpiozero's pin factory without touching the global ``Device.pin_factory``.

Order: ``GPIOZERO_PIN_FACTORY`` when set (``mock`` included); on a Raspberry Pi, lgpio; anywhere
else gpiozero's :class:`~gpiozero.pins.mock.MockFactory`, announced by ONE loud notice line that
the caller logs (the LEDs and the kill switch are then simulated).

lgpio's Python module creates its notification pipes (``.lgd-nfy*``) in the *current working
directory* when imported, and the C library honours ``LG_WD``. Under systemd the working directory
is often read-only (``/``), so before importing lgpio we point ``LG_WD`` at a writable runtime
directory and change into it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, MutableMapping
from importlib.metadata import entry_points
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPin

from hw.errors import PinFactoryUnavailable

__all__ = [
    "ENV_FACTORY",
    "MOCK_NOTICE",
    "MockSwitchPin",
    "is_raspberry_pi",
    "lgpio_workdir",
    "make_pin_factory",
    "mock_factory",
]

ENV_FACTORY = "GPIOZERO_PIN_FACTORY"
MODEL_PATH = Path("/proc/device-tree/model")
MOCK_NOTICE = (
    "GPIO: NOT A RASPBERRY PI — using gpiozero's MockFactory: the kill switch and LEDs are "
    "SIMULATED (SIGUSR1 still trips the kill switch; set GPIOZERO_PIN_FACTORY to choose a backend)"
)


def is_raspberry_pi(model_path: Path = MODEL_PATH) -> bool:
    """True when the device tree names a Raspberry Pi (Pi 4, Pi 5, Zero 2 W, ...)."""
    try:
        return "raspberry pi" in model_path.read_text(errors="replace").lower()
    except OSError:
        return False


def lgpio_workdir(env: Mapping[str, str], runtime_dir: Path | None = None) -> Path:
    """The first writable directory of ``$RUNTIME_DIRECTORY``, ``runtime_dir``, ``$XDG_RUNTIME_DIR``, tmp."""
    candidates: list[Path] = []
    if env.get("RUNTIME_DIRECTORY"):
        candidates.append(Path(env["RUNTIME_DIRECTORY"].split(":")[0]))
    if runtime_dir is not None:
        candidates.append(Path(runtime_dir))
    if env.get("XDG_RUNTIME_DIR"):
        candidates.append(Path(env["XDG_RUNTIME_DIR"]))
    candidates.append(Path(tempfile.gettempdir()))
    for path in candidates:
        if path.is_dir() and os.access(path, os.W_OK | os.X_OK):
            return path
    raise PinFactoryUnavailable(
        f"lgpio needs a writable directory; none of {[str(p) for p in candidates]} is"
    )


def make_pin_factory(
    env: MutableMapping[str, str] = os.environ,
    *,
    runtime_dir: Path | None = None,
    model_path: Path = MODEL_PATH,
):
    """Return ``(factory, notice)``; ``notice`` is one line to log loudly, or None.

    Raises :class:`PinFactoryUnavailable` when the requested (or, on a Pi, the native) backend
    cannot be loaded — on a Pi we never fall back to a mock silently.
    """
    name = env.get(ENV_FACTORY, "").strip()
    if name:
        if name.lower() == "mock":
            return _mock(), f"GPIO: {ENV_FACTORY}=mock — kill switch and LEDs are SIMULATED"
        if name.lower() == "lgpio":
            _prepare_lgpio(env, runtime_dir)
        return _load_named(name), None
    if is_raspberry_pi(model_path):
        _prepare_lgpio(env, runtime_dir)
        try:
            from gpiozero.pins.lgpio import LGPIOFactory

            return LGPIOFactory(), None
        except Exception as exc:  # ImportError, lgpio.error (no /dev/gpiochip), ...
            raise PinFactoryUnavailable(
                f"this is a Raspberry Pi but lgpio failed ({exc!r}); install python3-lgpio "
                f"or set {ENV_FACTORY}"
            ) from exc
    return _mock(), MOCK_NOTICE


class MockSwitchPin(MockPin):
    """A mock input wired to a switch to GND: ``drive_low()`` closes the switch, ``drive_high()``
    opens it, and — as on the board — a pull-up never lifts a closed switch. (gpiozero's plain
    MockPin drives itself high when the pull-up is set, so a switch engaged before start would
    read released.)"""

    def __init__(self, factory, info):
        self.closed = False
        super().__init__(factory, info)

    def drive_low(self):
        self.closed = True
        super().drive_low()

    def drive_high(self):
        self.closed = False
        super().drive_high()

    def _set_pull(self, value):
        closed = self.closed
        super()._set_pull(value)
        if closed:
            self.drive_low()


def mock_factory() -> MockFactory:
    """gpiozero's MockFactory whose pins behave as wired to a switch (see :class:`MockSwitchPin`)."""
    return MockFactory(pin_class=MockSwitchPin)


def _mock():
    return mock_factory()


def _prepare_lgpio(env: MutableMapping[str, str], runtime_dir: Path | None) -> None:
    workdir = lgpio_workdir(env, runtime_dir)
    env.setdefault("LG_WD", str(workdir))
    if not os.access(os.getcwd(), os.W_OK):
        os.chdir(workdir)


def _load_named(name: str):
    group = entry_points(group="gpiozero_pin_factories")
    for wanted in (name, name.lower()):
        for ep in group:
            if ep.name == wanted:
                try:
                    return ep.load()()
                except Exception as exc:
                    raise PinFactoryUnavailable(
                        f"{ENV_FACTORY}={name!r} failed to load: {exc!r}"
                    ) from exc
    known = sorted(ep.name for ep in group)
    raise PinFactoryUnavailable(
        f"{ENV_FACTORY}={name!r} is not a gpiozero pin factory (known: {known})"
    )
