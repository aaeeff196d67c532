"""The backtest error family.

::

    BacktestError (UserError)     the backtest cannot run on this input: one line, exit code 2
    └── BadMarketData             a reserves file or a fetched range is not what it claims to be
                                  (header, a non-integer or negative reserve, blocks going back)
"""

from __future__ import annotations

from appliance.errors import UserError

__all__ = ["BacktestError", "BadMarketData"]


class BacktestError(UserError):
    """The backtest's input is unusable; the message names the file, row or option."""


class BadMarketData(BacktestError, ValueError):
    """A row of market data that is not a block number and two non-negative integer reserves."""
