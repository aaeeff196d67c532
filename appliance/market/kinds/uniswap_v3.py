"""Uniswap V3 (and its concentrated-liquidity forks) as a pool kind.

Discovery: ``factory.getPool(a, b, fee)`` for every watched pair and configured fee tier, in
one batch; new pools from ``PoolCreated``. State (chain side, :class:`V3Tracker`): per pool
``slot0()``, ``liquidity()``, ``tickSpacing()``, then the tick-bitmap words of a window of
:data:`WINDOW_RADIUS` words either side of the price, then ``ticks(i)`` of every set bit —
three batched rounds for all pools at once, pinned to one block. After that a pool follows its
``Swap``/``Mint``/``Burn`` logs (the block's one logs request carries their topics); only when a
``Swap`` leaves the window's inner words is that pool's window read again, centred on the new
price. Market side: a :class:`~appliance.market.v3state.V3PoolWindow` per pool; the screen sees
its virtual reserves ``(L·2^96/√P, L·√P/2^96)`` — a V2 pool of the same price and in-range
depth — and the exact re-check swaps through the window's exact loop (a swap that would leave
the window is refused, never guessed).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from appliance.events import V3PoolSnapshot
from appliance.market.errors import MarketError, SwapError
from appliance.market.kinds._base import Calls, Curve, Found, Quoter, Relaxation
from appliance.market.kinds.uniswap_v2 import word_address
from appliance.market.v3._fullmath import Q96
from appliance.market.v3._swapmath import FEE_DENOMINATOR
from appliance.market.v3._tickmath import get_sqrt_ratio_at_tick
from appliance.market.v3state import (
    BURN_TOPIC,
    MINT_TOPIC,
    SWAP_TOPIC,
    V3PoolWindow,
    window_words,
)

if TYPE_CHECKING:
    from appliance.events import PoolInfo
    from appliance.market.state import MarketState

__all__ = [
    "KIND",
    "POOL_CREATED_TOPIC",
    "WINDOW_RADIUS",
    "UniswapV3",
    "V3Tracker",
    "bounded_swap",
    "curve_at",
    "virtual_reserves",
]

POOL_CREATED_TOPIC = "0x783cca1c0412dd0d695e784568c96da2e9c22ff989357a2e8b1d9b2b4e6b7118"
WINDOW_RADIUS = 2  # bitmap words fetched either side of the price's word

_GET_POOL = function_signature_to_4byte_selector("getPool(address,address,uint24)")
_SLOT0 = function_signature_to_4byte_selector("slot0()")
_LIQUIDITY = function_signature_to_4byte_selector("liquidity()")
_TICK_SPACING = function_signature_to_4byte_selector("tickSpacing()")
_BITMAP = function_signature_to_4byte_selector("tickBitmap(int16)")
_TICKS = function_signature_to_4byte_selector("ticks(int24)")
_ZERO = to_checksum_address("0x" + "00" * 20)


class V3StateError(MarketError, ValueError):
    """A pool's answer does not decode as a V3 pool's (the pool is left out and logged)."""


def _int_word(value: int) -> bytes:
    return (value % 2**256).to_bytes(32, "big")


def _word(data: bytes, i: int, signed: bool = False) -> int:
    return int.from_bytes(data[32 * i : 32 * i + 32], "big", signed=signed)


def virtual_reserves(window: V3PoolWindow) -> tuple[int, int]:
    """``(L·2^96 // √P, L·√P // 2^96)``: the reserves of a V2 pool with the same price and the
    same marginal depth; ``(0, 0)`` with no liquidity in range or a price out of the window."""
    if window.liquidity == 0 or window.needs_refetch:
        return 0, 0
    return (
        window.liquidity * Q96 // window.sqrt_price_x96,
        window.liquidity * window.sqrt_price_x96 // Q96,
    )


class V3Tracker:
    """Which window each pool was read over, and its tick since (the chain task's)."""

    def __init__(self, radius: int = WINDOW_RADIUS) -> None:
        self.radius = radius
        self.windows: dict[str, list[int]] = {}  # pool -> [low word, high word, spacing, tick]

    async def read(self, calls: Calls, pools: Sequence[PoolInfo]) -> dict[str, V3PoolSnapshot]:
        """Snapshots of ``pools`` in three batched rounds; a pool that does not answer as a V3
        pool is left out (and forgotten)."""
        addresses = [p.address for p in pools]
        heads = await calls(
            [(a, sel) for a in addresses for sel in (_SLOT0, _LIQUIDITY, _TICK_SPACING)]
        )
        good: list[tuple[str, int, int, int, int, range]] = []
        for i, address in enumerate(addresses):
            slot0, liq, spacing = heads[3 * i : 3 * i + 3]
            if not slot0 or len(slot0) < 64 or not liq or len(liq) != 32 or not spacing:
                self.windows.pop(address, None)
                continue
            price, tick = _word(slot0, 0), _word(slot0, 1, signed=True)
            ts = _word(spacing, 0, signed=True)
            if price == 0 or not 0 < ts <= 16384:
                self.windows.pop(address, None)
                continue
            words = window_words(tick, ts, self.radius)
            good.append((address, price, tick, _word(liq, 0), ts, words))
        word_calls = [(a, _BITMAP + _int_word(w)) for a, *_, words in good for w in words]
        answers = iter(await calls(word_calls))
        fetched: list[dict[int, int]] = []
        tick_calls: list[tuple[str, bytes]] = []
        for address, _price, _tick, _liq, ts, words in good:
            got = {w: int.from_bytes(next(answers) or bytes(32), "big") for w in words}
            fetched.append(got)
            for w, bits in got.items():
                while bits:
                    low = bits & -bits
                    t = ((w << 8) + low.bit_length() - 1) * ts
                    tick_calls.append((address, _TICKS + _int_word(t)))
                    bits ^= low
        tick_answers = iter(await calls(tick_calls))
        out: dict[str, V3PoolSnapshot] = {}
        for (address, price, tick, liq, ts, words), got in zip(good, fetched, strict=True):
            ticks: dict[int, tuple[int, int]] = {}
            for w, bits in got.items():
                while bits:
                    low = bits & -bits
                    t = ((w << 8) + low.bit_length() - 1) * ts
                    data = next(tick_answers) or b""
                    if len(data) >= 64:
                        ticks[t] = (_word(data, 0), _word(data, 1, signed=True))
                    bits ^= low
            out[address] = V3PoolSnapshot(price, tick, liq, ts, got, ticks)
            self.windows[address] = [words.start, words.stop - 1, ts, tick]
        return out

    def stale(self, logs: Sequence[tuple[str, tuple[str, ...], str]]) -> list[str]:
        """Pools whose last ``Swap`` left the window's inner words (or its edge words when the
        window is that narrow): their window is read again around the new price."""
        moved: dict[str, int] = {}
        for address, topics, data in logs:
            if topics and topics[0].lower() == SWAP_TOPIC and address in self.windows:
                raw = bytes.fromhex(data.removeprefix("0x"))
                if len(raw) >= 160:
                    moved[address] = _word(raw, 4, signed=True)
        out = []
        for address, tick in moved.items():
            window = self.windows[address]
            low, high, spacing = window[0], window[1], window[2]
            window[3] = tick
            word = (tick // spacing) >> 8
            inner_low, inner_high = (low + 1, high - 1) if high - low >= 2 else (low, high)
            if not inner_low <= word <= inner_high:
                out.append(address)
        return out


class UniswapV3:
    """Concentrated liquidity over initialized ticks; exact through the pool's swap loop."""

    name = "uniswap_v3"
    state_topics = (SWAP_TOPIC, MINT_TOPIC, BURN_TOPIC)
    created_topic = POOL_CREATED_TOPIC
    probe = False  # the probe flash-borrows through a V2 pair's swap callback

    async def find_pools(
        self, calls: Calls, dexes: Sequence[Any], pairs: Sequence[tuple[str, str]]
    ) -> list[tuple[Any, Found]]:
        asks = [(dex, a, b, fee) for dex in dexes for a, b in pairs for fee in dex.fee_tiers]
        answers = await calls(
            [
                (dex.factory, _GET_POOL + abi_encode(["address", "address", "uint24"], [a, b, fee]))
                for dex, a, b, fee in asks
            ]
        )
        found: list[tuple[Any, Found]] = []
        for (dex, a, b, fee), data in zip(asks, answers, strict=True):
            pool = word_address(data) if data else None
            if pool is not None and pool != _ZERO:
                found.append((dex, (a, b, pool, fee // 100)))
        return found

    def decode_created(self, dex: Any, topics: Sequence[str], data: bytes) -> Found | None:
        """``PoolCreated(token0 indexed, token1 indexed, fee indexed, tickSpacing, pool)``, kept
        only for the DEX's configured fee tiers."""
        if len(topics) != 4 or len(data) != 64:
            return None
        t0 = word_address(bytes.fromhex(topics[1][2:]))
        t1 = word_address(bytes.fromhex(topics[2][2:]))
        fee = int(topics[3], 16)
        pool = word_address(data[32:])
        if t0 is None or t1 is None or pool is None or fee not in dex.fee_tiers:
            return None
        return (t0, t1, pool, fee // 100)

    def tracker(self) -> V3Tracker:
        return V3Tracker()

    def load(self, pool: PoolInfo, snapshot: V3PoolSnapshot) -> V3PoolWindow:
        return V3PoolWindow(
            fee=pool.fee_bps * 100,
            tick_spacing=snapshot.tick_spacing,
            sqrt_price_x96=snapshot.sqrt_price_x96,
            tick=snapshot.tick,
            liquidity=snapshot.liquidity,
            words=snapshot.words,
            ticks=snapshot.ticks,
        )

    def apply_logs(
        self, held: V3PoolWindow, logs: Sequence[tuple[str, tuple[str, ...], str]]
    ) -> None:
        for _address, topics, data in logs:
            held.apply_log(list(topics), data)

    def reserves(self, held: V3PoolWindow) -> tuple[int, int]:
        return virtual_reserves(held)

    def hop(self, state: MarketState, pid: int, zero_for_one: bool) -> None:
        return None  # piecewise: sized by appliance.strategy.piecewise

    def quoter(self, state: MarketState, pid: int, zero_for_one: bool) -> Quoter:
        return self.held_quoter(state.held.get(pid), zero_for_one)

    def held_quoter(self, held: V3PoolWindow | None, zero_for_one: bool) -> Quoter:
        window = held

        def quote(amount_in: int) -> int | None:
            if window is None or amount_in <= 0:
                return None
            try:
                paid, out, _ = window.exact_input(zero_for_one, amount_in)
            except (SwapError, MarketError):  # a revert, or beyond the fetched ticks
                return None
            return out if paid == amount_in and out > 0 else None

        return quote

    def curve(self, state: MarketState, pid: int, zero_for_one: bool) -> Curve:
        window: V3PoolWindow | None = state.held.get(pid)

        def at(amount: int) -> tuple[float, float, float, float, float] | None:
            if window is None or window.needs_refetch or amount < 0:
                return None
            return curve_at(window, zero_for_one, amount)

        return at

    def paper_swap(
        self, held: V3PoolWindow, zero_for_one: bool, amount_in: int
    ) -> V3PoolWindow | None:
        """The window after our swap (:meth:`V3PoolWindow.swapped`): price, tick and liquidity
        as the pool settles them; None unless it takes all of ``amount_in`` inside the window."""
        if amount_in <= 0:
            return None
        try:
            after, paid, out = held.swapped(zero_for_one, amount_in)
        except (SwapError, MarketError):  # a revert, or beyond the fetched ticks
            return None
        return after if paid == amount_in and out > 0 else None

    def relaxation(self, state: MarketState, pid: int, zero_for_one: bool) -> Relaxation:
        window: V3PoolWindow | None = state.held.get(pid)

        def real(amount: int, trader: bool) -> tuple[int, int] | None:
            if window is None or window.needs_refetch:
                return None
            return bounded_swap(window, zero_for_one, amount, trader)

        return real


def _div(num: int, den: int, up: bool) -> int:
    return -(-num // den) if up else num // den


def bounded_swap(
    window: V3PoolWindow, zero_for_one: bool, amount: int, trader: bool
) -> tuple[int, int] | None:
    """The pool's swap of ``amount`` in exact real arithmetic, rounded one way: with ``trader``
    every rounding favours the trader (the output is at least the real one, the marginal rate
    after it at most the real one), without it the pool (the output at most, the rate at
    least). Returns ``(output, marginal rate after · 2^64)``; None when the swap would leave the
    fetched window. The contract rounds every step in its own favour, so its output never
    exceeds the real one; the real curve is concave (the rate is the price after the fee, and
    the price only moves one way) and crosses the window's ticks at the pool's tick prices."""
    pool = window.state
    keep = FEE_DENOMINATOR - pool.fee
    rest = _div(amount * keep, FEE_DENOMINATOR, trader)
    price = pool.sqrt_price_x96
    liquidity = pool.liquidity
    nets, ticks = pool.ticks, pool.sorted_ticks
    out = 0
    tick = pool.tick
    low_edge, high_edge = window.low_tick, window.high_tick
    grid = 1 << 64
    sqrt_at = pool.sqrt_at
    while True:
        i = bisect_right(ticks, tick)
        if zero_for_one:
            t_next = ticks[i - 1] if i and ticks[i - 1] >= low_edge else None
            at = low_edge if t_next is None else t_next
        else:
            t_next = ticks[i] if i < len(ticks) and ticks[i] <= high_edge else None
            at = high_edge if t_next is None else t_next
        edge = sqrt_at.get(at)
        if edge is None:
            edge = sqrt_at[at] = get_sqrt_ratio_at_tick(at)
        if zero_for_one:  # token0 in: 1/√P' = 1/√P + in/L
            need = _div(liquidity * Q96 * (price - edge), price * edge, not trader)
        else:  # token1 in: √P' = √P + in/L
            need = _div(liquidity * (edge - price), Q96, not trader)
        if liquidity and rest <= need:
            # rounded for the pool, ``need`` may admit an input that really crosses the edge:
            # the price then stops at the edge (as far as this range's liquidity takes it),
            # never past it, so the output stays below and the rate above the real ones
            if zero_for_one:
                after = _div(liquidity * Q96 * price, liquidity * Q96 + rest * price, not trader)
                if not trader and after < edge:
                    after = edge
                out += _div(liquidity * (price - after), Q96, trader)
                rate = _div(keep * after * after * grid, FEE_DENOMINATOR * Q96 * Q96, not trader)
            else:
                after = _div(price * liquidity + rest * Q96, liquidity, trader)
                if not trader and after > edge:
                    after = edge
                out += _div(liquidity * Q96 * (after - price), price * after, trader)
                rate = _div(keep * Q96 * Q96 * grid, FEE_DENOMINATOR * after * after, not trader)
            return out, rate
        if t_next is None:
            return None  # the input runs past the fetched ticks
        if zero_for_one:
            out += _div(liquidity * (price - edge), Q96, trader)
            liquidity -= nets[t_next]
            tick = t_next - 1
        else:
            out += _div(liquidity * Q96 * (edge - price), price * edge, trader)
            liquidity += nets[t_next]
            tick = t_next
        rest -= need
        price = edge
        if liquidity < 0:
            return None


KIND = UniswapV3()


def curve_at(
    window: V3PoolWindow, zero_for_one: bool, amount: int
) -> tuple[float, float, float, float, float] | None:
    """The liquidity range the pool's real-valued swap of ``amount`` ends in, as a
    constant-product piece (see :data:`~appliance.market.kinds.Curve`): the output so far, the
    virtual reserves ``(L/√P', L·√P')`` at the price after (in the swap's orientation), the fee
    factor, and the input left to the range's end (next initialized tick or the window's edge).
    Floats: a seed for the sizing, never a bound. None past the fetched window."""
    pool = window.state
    keep = FEE_DENOMINATOR - pool.fee
    rest = amount * keep // FEE_DENOMINATOR
    price, liquidity, tick = pool.sqrt_price_x96, pool.liquidity, pool.tick
    nets, ticks, sqrt_at = pool.ticks, pool.sorted_ticks, pool.sqrt_at
    low_edge, high_edge = window.low_tick, window.high_tick
    out = 0
    while True:
        i = bisect_right(ticks, tick)
        if zero_for_one:
            t_next = ticks[i - 1] if i and ticks[i - 1] >= low_edge else None
            at = low_edge if t_next is None else t_next
        else:
            t_next = ticks[i] if i < len(ticks) and ticks[i] <= high_edge else None
            at = high_edge if t_next is None else t_next
        edge = sqrt_at.get(at)
        if edge is None:
            edge = sqrt_at[at] = get_sqrt_ratio_at_tick(at)
        if zero_for_one:
            need = liquidity * Q96 * (price - edge) // (price * edge)
        else:
            need = liquidity * (edge - price) // Q96
        if liquidity and rest < need:
            if zero_for_one:
                after = liquidity * Q96 * price // (liquidity * Q96 + rest * price)
                out += liquidity * (price - after) // Q96
            else:
                after = price + rest * Q96 // liquidity
                out += liquidity * Q96 * (after - price) // (price * after)
            p, depth, g = after / Q96, float(liquidity), keep / FEE_DENOMINATOR
            r_in, r_out = (depth / p, depth * p) if zero_for_one else (depth * p, depth / p)
            return float(out), r_in, r_out, g, (need - rest) / g
        if t_next is None:
            return None
        if zero_for_one:
            out += liquidity * (price - edge) // Q96
            liquidity -= nets[t_next]
            tick = t_next - 1
        else:
            out += liquidity * Q96 * (edge - price) // (price * edge)
            liquidity += nets[t_next]
            tick = t_next
        rest -= need
        price = edge
        if liquidity < 0:
            return None
