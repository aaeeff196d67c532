"""The backtest: a replayed market through the live strategy, risk and paper accounting.

Layout: :mod:`~appliance.backtest.sources` (reserves CSVs, the journal), :mod:`~.fills` (who
fills first: always us, or a latency race), :mod:`~.metrics` (P&L, drawdown, ratios, capture).
"""

from appliance.backtest.errors import BacktestError, BadMarketData
from appliance.backtest.fills import AlwaysFirst, Competition, FillModel, percentiles
from appliance.backtest.metrics import BacktestTrade, Summary, drawdown_curve, summarize
from appliance.backtest.sources import MarketBlock, journal_market, merge_series, read_reserves_csv

__all__ = [
    "AlwaysFirst",
    "BacktestError",
    "BacktestTrade",
    "BadMarketData",
    "Competition",
    "FillModel",
    "MarketBlock",
    "Summary",
    "drawdown_curve",
    "journal_market",
    "merge_series",
    "percentiles",
    "read_reserves_csv",
    "summarize",
]
