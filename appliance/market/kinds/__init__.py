"""Pool kinds: one module per kind behind one interface, found by name.

Every consumer that must know how a pool works asks its kind, never ``if kind == ...``:

* discovery (``appliance.chain.discovery``): :meth:`PoolKind.find_pools` scans a factory for the
  watched token pairs, :meth:`PoolKind.decode_created` reads its pool-created logs;
* state refresh (``appliance.chain.reserves`` / ``service``, :class:`appliance.market.MarketState`):
  :attr:`PoolKind.state_topics` go into the block's one logs request; a kind with a
  :meth:`PoolKind.tracker` follows raw logs and snapshots (``PoolStatesUpdated``), the others
  reduce to reserves (``ReservesUpdated``);
* cycles and screening (``appliance.strategy``): every pool shows the screen a pair of
  (virtual) reserves and its fee, so the vectorised fold is the same for every kind;
* the exact re-check: :meth:`PoolKind.hop` gives a constant-product hop (the closed-form V2
  optimiser), :meth:`PoolKind.quoter` the pool's own exact integer swap for any other.

A new kind is one new module here exposing ``KIND`` (an object satisfying :class:`PoolKind`)
plus its tests, and its name in :data:`KINDS` (read-only).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from appliance.market.kinds import uniswap_v2, uniswap_v3
from appliance.market.kinds._base import (
    Calls,
    Curve,
    Found,
    PoolKind,
    Quoter,
    Relaxation,
    StateTracker,
    UnknownPoolKind,
)

__all__ = [
    "KINDS",
    "Calls",
    "Curve",
    "Found",
    "PoolKind",
    "Quoter",
    "Relaxation",
    "StateTracker",
    "UnknownPoolKind",
    "pool_kind",
]

#: every pool kind by name (read-only)
KINDS: Mapping[str, PoolKind] = MappingProxyType(
    {m.KIND.name: m.KIND for m in (uniswap_v2, uniswap_v3)}
)


def pool_kind(name: str) -> PoolKind:
    """The kind called ``name``.

    Raises:
        UnknownPoolKind: no module implements it.
    """
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise UnknownPoolKind(f"unknown pool kind {name!r} (known: {known})") from None
