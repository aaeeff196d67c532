"""Uniswap V2 (and its constant-product forks) as a pool kind.

Discovery: ``factory.getPair(a, b)`` per watched pair, or, for a factory with few pairs,
``allPairs(i)`` enumerated (cheaper when ``3·n·ENUMERATE_FACTOR <= pairs``); new pools from
``PairCreated``. State: the pair's reserves, from ``Sync`` logs or ``getReserves()`` (the chain
layer's reserves path: no tracker). Exact re-check: the constant-product hop, sized in closed
form by :mod:`appliance.strategy.exact`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eth_abi import encode as abi_encode
from eth_utils import to_checksum_address

from appliance.market.errors import SwapError
from appliance.market.kinds._base import Calls, Curve, Found, Quoter, Relaxation
from appliance.market.v2math import BPS, get_amount_out

if TYPE_CHECKING:
    from appliance.events import PoolInfo
    from appliance.market.state import MarketState

__all__ = [
    "ALL_PAIRS",
    "ALL_PAIRS_LENGTH",
    "ENUMERATE_FACTOR",
    "GET_PAIR",
    "KIND",
    "PAIR_CREATED_TOPIC",
    "SYNC_TOPIC",
    "UniswapV2",
    "word_address",
]

PAIR_CREATED_TOPIC = "0x0d3648bd0f6ba80134a33ba9275ac585d9d315f0ad8355cddefde31afa28d0e9"
SYNC_TOPIC = "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"
GET_PAIR = bytes.fromhex("e6a43905")
TOKEN0 = bytes.fromhex("0dfe1681")
TOKEN1 = bytes.fromhex("d21220a7")
ALL_PAIRS_LENGTH = bytes.fromhex("574f2ba3")
ALL_PAIRS = bytes.fromhex("1e3dd18b")
# Enumerating a factory costs 3 calls per pair it has (allPairs, token0, token1); asking getPair
# costs 1 call per token pair watched. Enumerate when that is cheaper by this factor.
ENUMERATE_FACTOR = 2
_ZERO = "0x" + "00" * 20


def word_address(data: bytes) -> str | None:
    """The address in one ABI word, None when it is not one (dirty high bytes, wrong size)."""
    if len(data) != 32 or any(data[:12]):
        return None
    return to_checksum_address(data[12:])


class UniswapV2:
    """The constant-product pair: ``getAmountOut`` with the DEX's fee."""

    name = "uniswap_v2"
    state_topics = (SYNC_TOPIC,)
    created_topic = PAIR_CREATED_TOPIC
    probe = True

    async def find_pools(
        self, calls: Calls, dexes: Sequence[Any], pairs: Sequence[tuple[str, str]]
    ) -> list[tuple[Any, Found]]:
        lengths = await calls([(dex.factory, ALL_PAIRS_LENGTH) for dex in dexes])
        scan: list[Any] = []
        found: list[tuple[Any, Found]] = []
        watched = {t for pair in pairs for t in pair}
        for dex, data in zip(dexes, lengths, strict=True):
            n = int.from_bytes(data, "big") if data and len(data) == 32 else None
            if n is not None and 3 * n * ENUMERATE_FACTOR <= len(pairs):
                found += await _enumerate(calls, dex, n, watched)
            else:
                scan.append(dex)
        asks = [(dex, a, b) for dex in scan for a, b in pairs]
        answers = await calls(
            [
                (dex.factory, GET_PAIR + abi_encode(["address", "address"], [a, b]))
                for dex, a, b in asks
            ]
        )
        zero = to_checksum_address(_ZERO)
        for (dex, a, b), data in zip(asks, answers, strict=True):
            pair = word_address(data) if data else None
            if pair is not None and pair != zero:
                found.append((dex, (a, b, pair, dex.fee_bps)))
        return found

    def decode_created(self, dex: Any, topics: Sequence[str], data: bytes) -> Found | None:
        """``PairCreated(token0 indexed, token1 indexed, pair, n)``."""
        if len(topics) != 3 or len(data) != 64:
            return None
        t0 = word_address(bytes.fromhex(topics[1][2:]))
        t1 = word_address(bytes.fromhex(topics[2][2:]))
        pair = word_address(data[:32])
        if t0 is None or t1 is None or pair is None:
            return None
        return (t0, t1, pair, dex.fee_bps)

    def tracker(self) -> None:
        return None  # reserves: Sync logs or getReserves() (appliance.chain.reserves)

    def load(self, pool: PoolInfo, snapshot: Any) -> Any:
        raise TypeError("a uniswap_v2 pool's state is its reserves (ReservesUpdated)")

    def apply_logs(self, held: Any, logs: Sequence[tuple[str, tuple[str, ...], str]]) -> None:
        raise TypeError("a uniswap_v2 pool's state is its reserves (ReservesUpdated)")

    def reserves(self, held: Any) -> tuple[int, int]:
        raise TypeError("a uniswap_v2 pool's state is its reserves (ReservesUpdated)")

    def curve(self, state: MarketState, pid: int, zero_for_one: bool) -> Curve:
        r_in, r_out, fee = self.hop(state, pid, zero_for_one)
        a, b, keep = float(r_in), float(r_out), (BPS - fee) / BPS

        def at(y: int) -> tuple[float, float, float, float, float] | None:
            """After ``y`` in, the pair's reserves are ``(a + keep·y, b − out)`` for what follows
            (the real-valued curve: one piece)."""
            if a <= 0 or b <= 0:
                return None
            taken = keep * y
            out = b * taken / (a + taken)
            return out, a + taken, b - out, keep, math.inf

        return at

    def paper_swap(self, held: Any, zero_for_one: bool, amount_in: int) -> Any:
        raise TypeError("a uniswap_v2 pool's paper fill is a change of its reserves")

    def held_quoter(self, held: Any, zero_for_one: bool) -> Quoter:
        raise TypeError("a uniswap_v2 pool's state is its reserves (ReservesUpdated)")

    def hop(self, state: MarketState, pid: int, zero_for_one: bool) -> tuple[int, int, int]:
        r0, r1 = state.reserve0[pid], state.reserve1[pid]
        fee = int(state.fee_bps[pid])
        return (r0, r1, fee) if zero_for_one else (r1, r0, fee)

    def quoter(self, state: MarketState, pid: int, zero_for_one: bool) -> Quoter:
        r_in, r_out, fee = self.hop(state, pid, zero_for_one)

        def quote(amount_in: int) -> int | None:
            try:
                out = get_amount_out(amount_in, r_in, r_out, fee)
            except SwapError:
                return None
            return out if out > 0 else None

        return quote

    def relaxation(self, state: MarketState, pid: int, zero_for_one: bool) -> Relaxation:
        r_in, r_out, fee = self.hop(state, pid, zero_for_one)
        keep = BPS - fee

        def real(y: int, trader: bool) -> tuple[int, int] | None:
            """``γ·b·y/(a + γ·y)`` and its slope ``γ·a·b/(a + γ·y)²`` (· 2^64), rounded for the
            trader (output up, slope down) or for the pool (the other way)."""
            if r_in <= 0 or r_out <= 0:
                return None
            den = r_in * BPS + keep * y
            num = keep * r_out * y
            out = -(-num // den) if trader else num // den
            s_num = keep * r_in * BPS * r_out << 64
            s_den = den * den
            slope = s_num // s_den if trader else -(-s_num // s_den)
            return out, slope

        return real


async def _enumerate(calls: Calls, dex: Any, n: int, watched: set[str]) -> list[tuple[Any, Found]]:
    """Every pair of a small factory (``allPairs``), kept when both its tokens are watched."""
    addrs = await calls([(dex.factory, ALL_PAIRS + i.to_bytes(32, "big")) for i in range(n)])
    pairs = [a for a in (word_address(d or b"") for d in addrs) if a is not None]
    sides = await calls([(p, sel) for p in pairs for sel in (TOKEN0, TOKEN1)])
    out = []
    for j, pair in enumerate(pairs):
        t0, t1 = word_address(sides[2 * j] or b""), word_address(sides[2 * j + 1] or b"")
        if t0 in watched and t1 in watched:
            out.append((dex, (t0, t1, pair, dex.fee_bps)))
    return out


KIND = UniswapV2()
