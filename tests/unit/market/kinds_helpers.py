"""Helpers for the pool-kind tests: a V3 pool from positions, as the chain would be read."""

from __future__ import annotations

from collections.abc import Sequence

from appliance.events import PoolInfo, PoolsDiscovered, TokenInfo, V3PoolSnapshot
from appliance.market.v3math import get_tick_at_sqrt_ratio
from appliance.market.v3state import window_words

TOKEN_A = "0x" + "a" * 40
TOKEN_B = "0x" + "b" * 40


def snapshot(
    spacing: int,
    sqrt_price: int,
    positions: Sequence[tuple[int, int, int]],
    radius: int = 2,
) -> V3PoolSnapshot:
    """What the V3 tracker reads of a pool holding ``positions`` ``(lower, upper, liquidity)``."""
    tick = get_tick_at_sqrt_ratio(sqrt_price)
    book: dict[int, list[int]] = {}
    liquidity = 0
    for lower, upper, amount in positions:
        for t, net in ((lower, amount), (upper, -amount)):
            entry = book.setdefault(t, [0, 0])
            entry[0] += amount
            entry[1] += net
        if lower <= tick < upper:
            liquidity += amount
    words_range = window_words(tick, spacing, radius)
    ticks = {t: (g, n) for t, (g, n) in book.items() if (t // spacing) >> 8 in words_range}
    words = dict.fromkeys(words_range, 0)
    for t in ticks:
        c = t // spacing
        words[c >> 8] |= 1 << (c & 255)
    return V3PoolSnapshot(sqrt_price, tick, liquidity, spacing, words, ticks)


def two_pool_market(v3_address: str, v2_address: str, fee: int = 3000) -> PoolsDiscovered:
    """A V2 pair and a V3 pool of the same two tokens (A is token0 of both)."""
    return PoolsDiscovered(
        (TokenInfo(TOKEN_A, "A", 18), TokenInfo(TOKEN_B, "B", 18)),
        (
            PoolInfo(v2_address, "v2", TOKEN_A, TOKEN_B, 30),
            PoolInfo(v3_address, "v3", TOKEN_A, TOKEN_B, fee // 100, "uniswap_v3"),
        ),
    )
