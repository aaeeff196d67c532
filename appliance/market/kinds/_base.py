"""The pool-kind interface (see :mod:`appliance.market.kinds`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from appliance.market.errors import MarketError

if TYPE_CHECKING:
    from appliance.events import PoolInfo
    from appliance.market.state import MarketState

__all__ = [
    "Calls",
    "Curve",
    "Found",
    "PoolKind",
    "Quoter",
    "Relaxation",
    "StateTracker",
    "UnknownPoolKind",
]

#: a batch of ``eth_call`` ``(to, calldata)`` pinned to one block by the caller (the chain
#: layer): return data per call, ``None`` where it reverted or returned nothing
Calls = Callable[[list[tuple[str, bytes]]], Awaitable[list[bytes | None]]]
#: a pool a factory holds for a watched pair: ``(token_a, token_b, pool address, fee_bps)``
Found = tuple[str, str, str, int]
#: a pool's exact output for an input, ``None`` when the pool would revert or only fill part
Quoter = Callable[[int], "int | None"]
#: the pool's real-valued curve (the exact output is never above it: the pool rounds in its own
#: favour; it is concave and non-decreasing) at an integer input: ``(output, slope · 2^64)``
#: rounded for the trader (``True``: output up, slope down) or the pool (the other way); None
#: where the state held cannot tell (beyond the fetched ticks)
Relaxation = Callable[[int, bool], "tuple[int, int] | None"]
#: the constant-product curve the pool's real-valued swap follows from an integer input ``y`` on
#: (the sizing's closed-form seed; floats, never a bound): ``(output at y, reserve_in,
#: reserve_out, keep, room)``: ``d`` more input, up to ``room``, yields
#: ``keep·reserve_out·d / (reserve_in + keep·d)`` more output; None where the state cannot tell
Curve = Callable[[int], "tuple[float, float, float, float, float] | None"]


class UnknownPoolKind(MarketError, KeyError):
    """A pool or a DEX names a kind no module implements."""


class StateTracker(Protocol):
    """Chain-side bookkeeping of a log-driven kind's pools (owned by the chain task)."""

    async def read(self, calls: Calls, pools: Sequence[PoolInfo]) -> dict[str, Any]:
        """Snapshots of ``pools`` (``calls`` pinned to the block), remembered for :meth:`stale`."""
        ...

    def stale(self, logs: Sequence[tuple[str, tuple[str, ...], str]]) -> list[str]:
        """After a block's state logs (in log order): the pools whose snapshot must be re-read."""
        ...


@runtime_checkable
class PoolKind(Protocol):
    """What the appliance needs to know about one kind of pool."""

    name: str
    state_topics: tuple[str, ...]  # topic 0 of the logs that change a pool's state
    created_topic: str  # topic 0 of the factory's pool-created log
    probe: bool  # the hostile-token probe can flash-borrow through the kind's pools

    async def find_pools(
        self, calls: Calls, dexes: Sequence[Any], pairs: Sequence[tuple[str, str]]
    ) -> list[tuple[Any, Found]]:
        """The pools the factories of ``dexes`` (all of this kind) hold for ``pairs``, with
        their DEX; the caller checks each pool's ``token0()``/``token1()`` afterwards."""
        ...

    def decode_created(self, dex: Any, topics: Sequence[str], data: bytes) -> Found | None:
        """A pool-created log of the factory as a found pool, None when it is not one."""
        ...

    def tracker(self) -> StateTracker | None:
        """A log-driven kind's state tracker; None for a kind whose state is its reserves."""
        ...

    def load(self, pool: PoolInfo, snapshot: Any) -> Any:
        """A log-driven kind's market-side exact state, from a tracker's snapshot."""
        ...

    def apply_logs(self, held: Any, logs: Sequence[tuple[str, tuple[str, ...], str]]) -> None:
        """Apply one pool's state logs (in log order) to ``held`` (from :meth:`load`)."""
        ...

    def reserves(self, held: Any) -> tuple[int, int]:
        """What the screen sees of ``held``: the reserves of a constant-product pool of the
        same price and depth at the margin (0, 0 when it has no liquidity at the price)."""
        ...

    def hop(self, state: MarketState, pid: int, zero_for_one: bool) -> tuple[int, int, int] | None:
        """``(reserve_in, reserve_out, fee_bps)`` of a constant-product pool; None otherwise."""
        ...

    def quoter(self, state: MarketState, pid: int, zero_for_one: bool) -> Quoter:
        """The pool's exact output for an input, on the state held now."""
        ...

    def relaxation(self, state: MarketState, pid: int, zero_for_one: bool) -> Relaxation:
        """The real-valued curve above :meth:`quoter` (bounds for the sizing's proof)."""
        ...

    def curve(self, state: MarketState, pid: int, zero_for_one: bool) -> Curve:
        """The constant-product piece of the real-valued curve at an input (see :data:`Curve`):
        one piece for a constant-product pool, one per liquidity range for V3."""
        ...

    def paper_swap(self, held: Any, zero_for_one: bool, amount_in: int) -> Any | None:
        """A log-driven kind's state after our exact-input swap of ``amount_in`` on ``held`` (a
        new object, ``held`` unchanged): what the chain would hold after a real fill, for the
        paper overlay. None when the pool would not take the whole input exactly (a revert, a
        partial fill, a swap beyond the state held)."""
        ...

    def held_quoter(self, held: Any, zero_for_one: bool) -> Quoter:
        """:meth:`quoter` on a given log-driven state (e.g. the chain's, under an overlay)."""
        ...
