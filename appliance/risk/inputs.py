"""Messages the risk task accepts on its optional ``inputs_recv`` channel.

(The kill switch trips the safety latch directly and the engine follows the latch: there is no
kill message.)

Besides these, that channel also takes the shared events ``BlockSeen``, ``RpcHealthChanged`` and
``TokenDenied`` from :mod:`appliance.events` as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from appliance.modes import Mode

__all__ = [
    "HealthReported",
    "HoldReleased",
    "HoldRequested",
    "InventoryObserved",
    "PricesObserved",
    "RearmRequested",
]


@dataclass(frozen=True, slots=True)
class HealthReported:
    """The chain is (not) synced / some RPC endpoint is (not) healthy."""

    synced: bool
    healthy: bool


@dataclass(frozen=True, slots=True)
class InventoryObserved:
    """Balances per token (wei) and, optionally, their total value in base-token wei, and the
    trading account's native gas balance (``eth_getBalance``, wei) when it was read."""

    balances: Mapping[str, int]
    equity: int | None = None
    gas_balance_wei: int | None = None


@dataclass(frozen=True, slots=True)
class PricesObserved:
    """One observation (per block) of token prices in a common numeraire (floats: statistics).

    The market task sends one per block on the candidates channel (see ``run_market``): the
    base tokens' spot value in native wei per token wei (the reference token is 1.0)."""

    prices: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RearmRequested:
    """A prompt after the deliberate re-arm on the box, which removes the latch first. The engine
    also notices the latch being re-armed by itself; while the latch is still tripped this
    message is ignored (a stale re-arm never undoes a fresh press)."""


@dataclass(frozen=True, slots=True)
class HoldRequested:
    """Keep the mode at least at ``mode`` (REDUCED or PAUSED) until released, e.g. the
    supervisor's ``HoldRequested("crashes:market", Mode.PAUSED, "market crashed 3x", "supervisor")``."""

    key: str
    mode: Mode
    reason: str
    source: str = "supervisor"


@dataclass(frozen=True, slots=True)
class HoldReleased:
    key: str
    reason: str
    source: str = "supervisor"
