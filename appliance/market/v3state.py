"""A V3 pool's state kept current from its logs, over a bounded window of tick-bitmap words.

A pool's full tick range is 887,272 ticks each way; what a swap of any sensible size touches is
a few bitmap words around the price. :class:`V3PoolWindow` holds ``slot0`` (price, tick),
``liquidity`` and the initialized ticks (``liquidityGross`` and ``liquidityNet``) of a
contiguous run of fetched words, and applies ``Swap``, ``Mint`` and ``Burn`` log data in log
order without a refetch:

* ``Swap`` sets price, tick and in-range liquidity to the values the event carries.
* ``Mint``/``Burn`` add/remove liquidity at both ends (a tick whose gross liquidity drops to
  zero is no longer initialized: it leaves the bitmap, so it no longer ends a swap step), and
  change in-range liquidity when ``lower <= tick < upper``, as ``_modifyPosition`` does.

Quotes are exact or refused: the swap runs with the window's edge as an extra price limit
(the edges are word boundaries, which end a swap step anyway, so inside the window the steps
and their rounding are the pool's own); a swap that reaches an edge raises
:class:`OutsideTickWindow`, and so does a price that has moved out (``needs_refetch``).
"""

from __future__ import annotations

from collections.abc import Mapping

from appliance.market.v3._errors import InvalidPoolState, MathOverflow, OutsideTickWindow
from appliance.market.v3._pool import (
    V3PoolState,
    V3SwapResult,
    check_limit,
    quoter_answer,
    run_swap,
)
from appliance.market.v3._tickmath import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
)

__all__ = [
    "BURN_TOPIC",
    "MINT_TOPIC",
    "SWAP_TOPIC",
    "V3PoolWindow",
    "window_words",
    "word_range",
]

_UINT128 = 1 << 128
#: keccak256 of the pool's event signatures (topic 0 of its logs)
SWAP_TOPIC = "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"
MINT_TOPIC = "0x7a53080ba414158be7ec69b987b5fb7d07dee101fe85488f0853ae16239d0bde"
BURN_TOPIC = "0x0c396cd989a39f4459b5fa1aed6a9a8dcdbc45908acfd67e028cd568da98982c"


def _word(data: bytes, index: int, signed: bool = False) -> int:
    return int.from_bytes(data[32 * index : 32 * index + 32], "big", signed=signed)


def _topic_int24(topic: str) -> int:
    return int.from_bytes(bytes.fromhex(topic.removeprefix("0x")), "big", signed=True)


def word_range(tick_spacing: int) -> tuple[int, int]:
    """The first and last bitmap word a pool of ``tick_spacing`` can use."""
    return (MIN_TICK // tick_spacing) >> 8, (MAX_TICK // tick_spacing) >> 8


def window_words(tick: int, tick_spacing: int, radius: int) -> range:
    """The bitmap words to fetch: the price's word and ``radius`` words either side."""
    centre = (tick // tick_spacing) >> 8
    lowest, highest = word_range(tick_spacing)
    return range(max(lowest, centre - radius), min(highest, centre + radius) + 1)


class V3PoolWindow:
    """One pool's state over fetched words ``[low_word, high_word]``; updated from its logs.

    Owned by one task (no locking). ``state`` is a :class:`V3PoolState` built on demand and
    cached until the next event changes the ticks.
    """

    __slots__ = (
        "_edges",
        "_gross",
        "_high_tick",
        "_low_tick",
        "_nets",
        "_state",
        "fee",
        "high_word",
        "liquidity",
        "low_word",
        "sqrt_price_x96",
        "tick",
        "tick_spacing",
    )

    def __init__(
        self,
        *,
        fee: int,
        tick_spacing: int,
        sqrt_price_x96: int,
        tick: int,
        liquidity: int,
        words: Mapping[int, int],
        ticks: Mapping[int, tuple[int, int]],
    ) -> None:
        """From fetched data: ``words`` maps each fetched word position to its bitmap word
        (a contiguous run), ``ticks`` maps each set bit's tick to ``(liquidityGross,
        liquidityNet)`` as ``ticks(i)`` returns them.

        Raises:
            InvalidPoolState: the words are not contiguous, or a set bit has no tick data, or
                tick data sits outside the window or on no set bit.
        """
        if not words:
            raise InvalidPoolState("a V3 window needs at least one bitmap word")
        self.fee = fee
        self.tick_spacing = tick_spacing
        self.low_word, self.high_word = min(words), max(words)
        if len(words) != self.high_word - self.low_word + 1:
            raise InvalidPoolState(f"bitmap words {sorted(words)} are not contiguous")
        set_bits = set()
        for position, word in words.items():
            bits = word
            while bits:
                low = bits & -bits
                set_bits.add(((position << 8) + low.bit_length() - 1) * tick_spacing)
                bits ^= low
        if set_bits != set(ticks):
            missing = sorted(set_bits ^ set(ticks))[:5]
            raise InvalidPoolState(f"bitmap and tick data disagree at ticks {missing}")
        self._gross: dict[int, int] = {}
        self._nets: dict[int, int] = {}
        for t, (gross, net) in ticks.items():
            if gross <= 0:
                raise InvalidPoolState(f"initialized tick {t} has liquidityGross {gross}")
            self._gross[t] = gross
            self._nets[t] = net
        self.sqrt_price_x96 = sqrt_price_x96
        self.tick = tick
        self.liquidity = liquidity
        self._state: V3PoolState | None = None
        self._low_tick = max(MIN_TICK, (self.low_word << 8) * tick_spacing)
        self._high_tick = min(MAX_TICK, ((self.high_word << 8) + 255) * tick_spacing)
        low, high = self._low_tick, self._high_tick
        self._edges = (  # the sqrt prices a swap may not reach without the next word
            get_sqrt_ratio_at_tick(low) if low > MIN_TICK else MIN_SQRT_RATIO + 1,
            get_sqrt_ratio_at_tick(high) if high < MAX_TICK else MAX_SQRT_RATIO - 1,
        )

    def __repr__(self) -> str:
        return (
            f"V3PoolWindow(fee={self.fee}, tick={self.tick}, words=[{self.low_word}, "
            f"{self.high_word}], ticks={len(self._nets)})"
        )

    # ------------------------------------------------------------------ the window
    @property
    def low_tick(self) -> int:
        """The lowest tick the window knows about (its first word's first tick)."""
        return self._low_tick

    @property
    def high_tick(self) -> int:
        """The highest tick the window knows about (its last word's last tick)."""
        return self._high_tick

    @property
    def needs_refetch(self) -> bool:
        """The price has left the fetched words: quotes would need ticks we do not have."""
        return not self._low_tick <= self.tick < self._high_tick

    @property
    def state(self) -> V3PoolState:
        """The pool as :mod:`appliance.market.v3math` takes it (cached until the next event)."""
        if self._state is None:
            self._state = V3PoolState(
                self.fee, self.tick_spacing, self.sqrt_price_x96, self.tick, self.liquidity,
                self._nets,  # shared until the next Mint/Burn, which copies before it writes
            )  # fmt: skip
        return self._state

    # ------------------------------------------------------------------ events
    def apply_log(self, topics: list[str], data: str) -> bool:
        """One of the pool's logs (``eth_getLogs``/receipt fields); ``False`` if not Swap/Mint/Burn.

        ``Swap(sender, recipient, amount0, amount1, sqrtPriceX96, liquidity, tick)``;
        ``Mint(sender, owner, tickLower, tickUpper, amount, amount0, amount1)`` and
        ``Burn(owner, tickLower, tickUpper, amount, amount0, amount1)`` with the ticks indexed.
        """
        topic = topics[0].lower() if topics else ""
        raw = bytes.fromhex(data.removeprefix("0x"))
        if topic == SWAP_TOPIC:
            self.apply_swap(_word(raw, 2), _word(raw, 3), _word(raw, 4, signed=True))
        elif topic == MINT_TOPIC:
            self.apply_mint(_topic_int24(topics[2]), _topic_int24(topics[3]), _word(raw, 1))
        elif topic == BURN_TOPIC:
            self.apply_burn(_topic_int24(topics[2]), _topic_int24(topics[3]), _word(raw, 0))
        else:
            return False
        return True

    def apply_swap(self, sqrt_price_x96: int, liquidity: int, tick: int) -> None:
        """A ``Swap`` log: the pool's price, in-range liquidity and tick after it."""
        self.sqrt_price_x96, self.liquidity, self.tick = sqrt_price_x96, liquidity, tick
        if self._state is not None:  # the ticks did not change: keep them, move the head
            self._state = self._state.moved(sqrt_price_x96, tick, liquidity)

    def apply_mint(self, tick_lower: int, tick_upper: int, amount: int) -> None:
        """A ``Mint`` log: ``amount`` liquidity added over ``[tick_lower, tick_upper)``."""
        self._modify(tick_lower, tick_upper, amount)

    def apply_burn(self, tick_lower: int, tick_upper: int, amount: int) -> None:
        """A ``Burn`` log: ``amount`` liquidity removed (``amount == 0`` only collects fees)."""
        self._modify(tick_lower, tick_upper, -amount)

    def _modify(self, lower: int, upper: int, delta: int) -> None:
        if delta == 0:
            return
        if self._state is not None and self._state.ticks is self._nets:
            self._nets = dict(self._nets)  # the state handed out keeps the ticks it was built on
        for t, net_delta in ((lower, delta), (upper, -delta)):
            if not self.low_tick <= t <= self.high_tick:
                continue  # outside the window: fetched with the words when the price gets there
            gross = self._gross.get(t, 0) + delta
            if gross < 0:
                raise InvalidPoolState(
                    f"burn of {-delta} at tick {t} exceeds its gross {gross - delta}"
                )
            if gross == 0:  # the tick flips off the bitmap
                del self._gross[t]
                del self._nets[t]
            else:
                self._gross[t] = gross
                self._nets[t] = self._nets.get(t, 0) + net_delta
        if lower <= self.tick < upper:
            liquidity = self.liquidity + delta
            if not 0 <= liquidity < _UINT128:
                raise InvalidPoolState(f"in-range liquidity {liquidity} leaves uint128")
            self.liquidity = liquidity
        self._state = None

    # ------------------------------------------------------------------ quotes
    def _bounded(
        self, zero_for_one: bool, amount_specified: int, limit: int | None, want_tick: bool
    ) -> tuple[int, int, int, int, int]:
        """The pool's swap loop with the window's edge as an extra limit, or a refusal."""
        if self.needs_refetch:
            raise OutsideTickWindow(
                f"tick {self.tick} is outside the fetched ticks [{self.low_tick}, {self.high_tick})"
            )
        low_edge, high_edge = self._edges
        if zero_for_one:
            limit = limit or MIN_SQRT_RATIO + 1
            bound = max(limit, low_edge)
        else:
            limit = limit or MAX_SQRT_RATIO - 1
            bound = min(limit, high_edge)
        if bound != limit and bound == self.sqrt_price_x96:  # on the edge: the next step is unknown
            raise OutsideTickWindow(f"price sits on the window edge at tick {self.tick}")
        state = self.state
        result = run_swap(
            state,
            zero_for_one,
            amount_specified,
            check_limit(state, zero_for_one, bound),
            want_tick,
        )
        if bound != limit and result[2] == bound:
            raise OutsideTickWindow(
                f"a swap of {amount_specified} reaches the window edge at sqrt price {bound}"
            )
        return result

    def swap(
        self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None
    ) -> V3SwapResult:
        """:func:`appliance.market.v3math.swap`, exact as long as it stays inside the window.

        Raises:
            OutsideTickWindow: the price is out of the window, or the swap reaches its edge.
            V3SwapError: where the pool itself reverts.
        """
        return V3SwapResult(
            *self._bounded(zero_for_one, amount_specified, sqrt_price_limit_x96, True)
        )

    def swapped(self, zero_for_one: bool, amount_in: int) -> tuple[V3PoolWindow, int, int]:
        """``(the pool after, paid in, paid out)`` of our exact-input swap with the default limit:
        a new window whose price, tick and in-range liquidity are what the pool's ``slot0`` and
        ``liquidity()`` read after the swap (the loop of ``UniswapV3Pool.swap``, crossings and
        all, the final tick from ``getTickAtSqrtRatio`` where the swap ends inside a range).
        ``self`` is unchanged; the new window shares its ticks and is never updated from logs
        (a paper overlay: built again from the chain's window whenever that one changes).

        Raises:
            OutsideTickWindow, V3SwapError: as :meth:`swap`.
        """
        a0, a1, price, tick, liquidity = self._bounded(zero_for_one, amount_in, None, True)
        state = self.state  # the ticks stay shared: a later Mint/Burn of self copies them first
        after = object.__new__(V3PoolWindow)
        for name in V3PoolWindow.__slots__:
            object.__setattr__(after, name, getattr(self, name))
        after.sqrt_price_x96, after.tick, after.liquidity = price, tick, liquidity
        after._state = state.moved(price, tick, liquidity)
        paid, out = (a0, -a1) if zero_for_one else (a1, -a0)
        return after, paid, out

    def exact_input(self, zero_for_one: bool, amount_in: int) -> tuple[int, int, int]:
        """``(paid in, paid out, sqrt price after)`` of an exact-input swap with the default
        limit, as the pool would settle it (paid in < ``amount_in``: liquidity ran out).

        Raises:
            OutsideTickWindow, V3SwapError: as :meth:`swap`.
        """
        a0, a1, price, *_ = self._bounded(zero_for_one, amount_in, None, False)
        return (a0, -a1, price) if zero_for_one else (a1, -a0, price)

    def quote_exact_input(
        self, zero_for_one: bool, amount_in: int, sqrt_price_limit_x96: int | None = None
    ) -> int:
        """What the Quoter returns (see :func:`appliance.market.v3math.quote_exact_input`)."""
        if amount_in < 0:
            raise MathOverflow(f"amount_in {amount_in} is not a uint256")
        a0, a1, *_ = self._bounded(zero_for_one, amount_in, sqrt_price_limit_x96, False)
        return quoter_answer(a0, a1, amount_in, True, sqrt_price_limit_x96 is None)

    def quote_exact_output(
        self, zero_for_one: bool, amount_out: int, sqrt_price_limit_x96: int | None = None
    ) -> int:
        """What the Quoter returns (see :func:`appliance.market.v3math.quote_exact_output`)."""
        if amount_out < 0:
            raise MathOverflow(f"amount_out {amount_out} is not a uint256")
        a0, a1, *_ = self._bounded(zero_for_one, -amount_out, sqrt_price_limit_x96, False)
        return quoter_answer(a0, a1, amount_out, False, sqrt_price_limit_x96 is None)
