"""What the risk engine keeps across restarts: the last mode, the breakers, a clean-stop flag.

Why a file of its own next to the journal (``<data_dir>/risk_state.json``): the breakers must be
restored *before* the first decision, without waiting on the store task, and their durability
must not depend on it (like the safety latch). It is rewritten atomically (tmp + fsync + rename +
directory fsync) only when the persisted picture changes — at most a few times per trade, never
per block — so the SD card is spared. ``clean_shutdown`` is written False at start and True on a
graceful stop: finding it False at the next start means the last stop was unclean.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from appliance.modes import Mode
from appliance.risk.errors import RiskStateError

__all__ = ["STATE_NAME", "RiskState", "RiskStateFile"]

STATE_NAME = "risk_state.json"


@dataclass(frozen=True, slots=True)
class RiskState:
    mode: Mode | None = None  # None: never ran
    clean_shutdown: bool = True
    breakers: str | None = None  # Breakers.to_json()
    saved_at: float = 0.0
    # the orders whose final result the breakers already counted (the most recent): a fill the
    # executor reports again after a restart (reconciled from the chain) must not count twice
    settled: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "mode": None if self.mode is None else self.mode.name,
                "clean_shutdown": self.clean_shutdown,
                "breakers": self.breakers,
                "saved_at": self.saved_at,
                "settled": list(self.settled),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> RiskState:
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError(f"expected an object, not {type(data).__name__}")
            mode, clean, breakers = data["mode"], data["clean_shutdown"], data["breakers"]
            saved_at = data.get("saved_at", 0.0)
            settled = data.get("settled", [])  # absent in states saved before it existed
            if not isinstance(settled, list) or not all(isinstance(o, str) for o in settled):
                raise TypeError(f"settled must be a list of order ids, not {settled!r:.80}")
            if mode is not None and not isinstance(mode, str):
                raise TypeError(f"mode must be a name, not {mode!r}")
            if not isinstance(clean, bool):
                raise TypeError(f"clean_shutdown must be true or false, not {clean!r}")
            if breakers is not None and not isinstance(breakers, str):
                raise TypeError(f"breakers must be a JSON string, not {type(breakers).__name__}")
            if isinstance(saved_at, bool) or not isinstance(saved_at, int | float):
                raise TypeError(f"saved_at must be a number, not {saved_at!r}")
            return cls(
                mode=None if mode is None else Mode[mode],
                clean_shutdown=clean,
                breakers=breakers,
                saved_at=float(saved_at),
                settled=tuple(settled),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise RiskStateError(f"risk state unreadable: {exc} in {text[:200]!r}") from exc


class RiskStateFile:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def in_dir(cls, data_dir: Path) -> RiskStateFile:
        return cls(Path(data_dir) / STATE_NAME)

    def load(self) -> RiskState | None:
        """The saved state, None when there is none; :class:`RiskStateError` when unreadable."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise RiskStateError(f"cannot read {str(self.path)!r}: {exc}") from exc
        try:
            return RiskState.from_json(text)
        except RiskStateError as exc:
            raise RiskStateError(f"{str(self.path)!r}: {exc}") from exc

    def save(self, state: RiskState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, state.to_json().encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        try:
            dfd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
