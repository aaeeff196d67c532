"""What a backtest reports: trades, P&L, drawdown, Sharpe and Sortino, capture.

Amounts are exact integers in the reference token's wei. Sharpe and Sortino are of *daily* P&L
(days from block timestamps, or from block numbers at the configured block time when the data has
no timestamps), annualised with sqrt(365), and ``None`` when there are fewer than two days — a
ratio from a few hours says nothing. Capture is our gross profit over the sum of each block's
best opportunity as the detector sized it (what a searcher who won every race and every block
would have made).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BacktestTrade", "Summary", "drawdown_curve", "summarize"]

DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class BacktestTrade:
    block: int
    timestamp: float  # seconds (block timestamp, or block number x block time)
    base_token: str
    amount_in: int
    gross_wei: int  # in the reference token
    gas_wei: int
    net_wei: int


@dataclass(frozen=True, slots=True)
class Summary:
    blocks: int
    trades: int
    wins: int
    gross_profit_wei: int
    gas_wei: int
    net_profit_wei: int
    max_drawdown_wei: int
    sharpe: float | None
    sortino: float | None
    win_rate: float | None
    capture: float | None
    optimum_gross_wei: int
    breaker_trips: int
    days: int

    def to_json(self) -> dict[str, object]:
        return {
            "blocks": self.blocks,
            "trades": self.trades,
            "wins": self.wins,
            "win_rate": self.win_rate,
            "gross_profit_wei": self.gross_profit_wei,
            "gas_wei": self.gas_wei,
            "net_profit_wei": self.net_profit_wei,
            "max_drawdown_wei": self.max_drawdown_wei,
            "sharpe": self.sharpe,
            "sortino": self.sortino,
            "capture": self.capture,
            "optimum_gross_wei": self.optimum_gross_wei,
            "breaker_trips": self.breaker_trips,
            "days": self.days,
        }


def drawdown_curve(trades: Sequence[BacktestTrade]) -> tuple[list[int], list[int]]:
    """(equity after each trade, drawdown from the running peak after each trade), exact."""
    equity, drawdown = [], []
    total = peak = 0
    for t in trades:
        total += t.net_wei
        peak = max(peak, total)
        equity.append(total)
        drawdown.append(peak - total)
    return equity, drawdown


def _ratios(daily: list[int]) -> tuple[float | None, float | None]:
    if len(daily) < 2:
        return None, None
    mean = sum(daily) / len(daily)
    var = sum((x - mean) ** 2 for x in daily) / (len(daily) - 1)
    sharpe = mean / math.sqrt(var) * math.sqrt(365) if var > 0 else None
    downside = math.sqrt(sum(min(0.0, x) ** 2 for x in daily) / len(daily))
    sortino = mean / downside * math.sqrt(365) if downside > 0 else None
    return sharpe, sortino


def summarize(
    trades: Sequence[BacktestTrade],
    *,
    blocks: int,
    first_ts: float,
    last_ts: float,
    optimum_gross_wei: int,
    breaker_trips: int = 0,
) -> Summary:
    """Summarise one run. ``first_ts``/``last_ts`` span the replayed blocks (for the days)."""
    _, dd = drawdown_curve(trades)
    n_days = max(1, math.ceil((last_ts - first_ts + 1) / DAY_S)) if blocks else 0
    by_day: dict[int, int] = defaultdict(int)
    for t in trades:
        by_day[int((t.timestamp - first_ts) // DAY_S)] += t.net_wei
    daily = [by_day.get(d, 0) for d in range(n_days)]
    sharpe, sortino = _ratios(daily)
    gross = sum(t.gross_wei for t in trades)
    wins = sum(1 for t in trades if t.net_wei > 0)
    return Summary(
        blocks=blocks,
        trades=len(trades),
        wins=wins,
        gross_profit_wei=gross,
        gas_wei=sum(t.gas_wei for t in trades),
        net_profit_wei=sum(t.net_wei for t in trades),
        max_drawdown_wei=max(dd, default=0),
        sharpe=sharpe,
        sortino=sortino,
        win_rate=wins / len(trades) if trades else None,
        capture=gross / optimum_gross_wei if optimum_gross_wei > 0 else None,
        optimum_gross_wei=optimum_gross_wei,
        breaker_trips=breaker_trips,
        days=n_days,
    )
