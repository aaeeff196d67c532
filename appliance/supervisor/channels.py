"""The supervisor's channels, opened from the plan (:data:`appliance.supervisor.plan.CHANNELS`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import trio

__all__ = ["Channels"]


class Channels:
    """One memory channel per name; the supervisor keeps these originals open for its lifetime."""

    def __init__(self, capacities: Mapping[str, int]) -> None:
        self._ends = {name: trio.open_memory_channel[Any](n) for name, n in capacities.items()}

    def send(self, name: str) -> trio.MemorySendChannel[Any]:
        return self._ends[name][0]

    def recv(self, name: str) -> trio.MemoryReceiveChannel[Any]:
        return self._ends[name][1]
