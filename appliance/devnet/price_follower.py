"""Real price dynamics on the devnet: the lead pool follows a recorded mainnet series.

The series is per-block ``getReserves()`` of a real pair (``../shared/data``: mainnet Uniswap V2
USDC/WETH, January 2024). Each devnet block the follower takes the next recorded block and
trades the devnet's *lead pool* of the same two tokens (WETH/USDC on the first DEX) through its
router until the pool's price has made the same relative move as the recorded one since the
series began (the devnet's own price level stays; its moves are mainnet's). The other DEXes'
pools are moved only by the noise traders, the rival searchers and the appliance: the spread
between venues — what the appliance trades — comes from real price moves, arbitraged as on a
real chain.

Sizing is exact integer arithmetic on the lead pool's reserves: to move a constant-product pool
of reserves (x, y) to the price y'/x' with x' * y' = x * y, sell ``x' - x`` of token x (or
``y' - y`` of token y), grossed up for the fee; the remaining error is the fee's curvature (a
few bps), corrected at the next block.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import trio

from appliance.devnet.devnet import Devnet
from appliance.devnet.errors import DevnetRpcError

__all__ = ["FollowerStats", "load_price_series", "run_price_follower", "target_price"]

BPS = 10_000


@dataclass(slots=True)
class FollowerStats:
    """What the follower did (read it; the follower writes it)."""

    steps: int = 0
    trades: int = 0
    last_source_block: int = 0
    tracking_error_bps: float = 0.0  # |pool price / target - 1| after the last trade


def load_price_series(path: Path) -> list[tuple[int, int, int]]:
    """``(block, reserve0, reserve1)`` rows of a recorded pair (validated; see backtest)."""
    from appliance.backtest.errors import BadMarketData
    from appliance.backtest.sources import read_reserves_csv

    rows = list(read_reserves_csv(Path(path)))
    if len(rows) < 2:
        raise BadMarketData(f"price series {str(path)!r} has fewer than two rows")
    return rows


def target_price(start: Fraction, first: tuple[int, int], now: tuple[int, int]) -> Fraction:
    """The devnet price (quote per base, raw units) after the recorded move ``first -> now``.

    ``first``/``now`` are the recorded pair's (base reserve, quote reserve): the price is
    quote/base, and the move is applied relative, so decimals cancel.
    """
    return start * Fraction(now[1], now[0]) / Fraction(first[1], first[0])


def _sell_for(reserve_in: int, reserve_out: int, price_in: Fraction, fee_bps: int) -> int:
    """Input that brings reserve_out/reserve_in down to ``price_in`` (out per in), fee grossed up."""
    k = reserve_in * reserve_out
    new_in = math.isqrt(int(k / price_in)) if price_in > 0 else reserve_in
    if new_in <= reserve_in:
        return 0
    return (new_in - reserve_in) * BPS // (BPS - fee_bps)


def _series_pairs(
    rows: Sequence[tuple[int, int, int]], base_is_token0: bool
) -> Iterator[tuple[int, tuple[int, int]]]:
    for block, r0, r1 in rows:
        yield block, ((r0, r1) if base_is_token0 else (r1, r0))


async def run_price_follower(
    dn: Devnet,
    series: Sequence[tuple[int, int, int]],
    *,
    series_base_is_token0: bool = False,
    base: str = "WETH",
    quote: str = "USDC",
    account: str = "simulator",
    max_steps: int | None = None,
    poll_s: float = 0.05,
    mine: bool = False,
    blocks_per_record: int = 1,
    task_status=trio.TASK_STATUS_IGNORED,
) -> FollowerStats:
    """Follow ``series`` on the first DEX's ``base``/``quote`` pool, one recorded block per block.

    ``series_base_is_token0``: whether the recorded pair's token0 is the base (for mainnet
    USDC/WETH, token0 is USDC: False). With ``mine=True`` the follower mines its own blocks
    (a manual-mining devnet, tests). ``blocks_per_record``: devnet blocks per recorded block
    (the demo's 1 s blocks take 12 per mainnet block, so prices move at mainnet's pace per
    second, not twelve times faster).
    """
    lead = dn.pool(dn.dexes[0].name, base, quote)
    base_addr = dn.token(base).address
    r0, r1 = await dn.reserves(lead)
    start = Fraction(r1, r0) if lead.token0 == base_addr else Fraction(r0, r1)  # quote per base
    pairs = list(_series_pairs(series, series_base_is_token0))
    first = pairs[0][1]
    stats = FollowerStats(last_source_block=pairs[0][0])
    task_status.started(stats)
    last_head = int(await dn.call("eth_blockNumber"), 16)
    for source_block, recorded in pairs[1:]:
        if max_steps is not None and stats.steps >= max_steps:
            break
        if not mine:
            while (head := int(await dn.call("eth_blockNumber"), 16)) < last_head + max(
                1, blocks_per_record
            ):
                await trio.sleep(poll_s)
            last_head = head
        goal = target_price(start, first, recorded)
        try:
            traded = await _step(dn, lead, base_addr, base, quote, goal, account)
        except DevnetRpcError:
            traded = False  # a failed swap is retried by the next block's correction
        stats.trades += traded
        stats.steps += 1
        stats.last_source_block = source_block
        if mine:
            await dn.mine()
        r0, r1 = await dn.reserves(lead)
        now = Fraction(r1, r0) if lead.token0 == base_addr else Fraction(r0, r1)
        stats.tracking_error_bps = float(abs(now / goal - 1) * BPS)
    return stats


async def _step(dn, lead, base_addr, base, quote, goal: Fraction, account) -> bool:
    r0, r1 = await dn.reserves(lead)
    x, y = (r0, r1) if lead.token0 == base_addr else (r1, r0)  # base, quote reserves
    price = Fraction(y, x)
    if price > goal:  # base too dear: sell base into the pool
        amount, t_in, t_out = _sell_for(x, y, goal, lead.fee_bps), base, quote
    else:  # base too cheap: sell quote (the price of quote in base is 1/goal)
        amount, t_in, t_out = _sell_for(y, x, 1 / goal, lead.fee_bps), quote, base
    if amount <= 0:
        return False
    await dn.swap(lead.dex, t_in, t_out, amount, account=account, mine=False)
    return True
