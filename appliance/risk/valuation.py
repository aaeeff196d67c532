"""Equity: everything the account holds, valued in the reference token (exact integers).

Every base token is valued at the latest *candidate-implied* rate into the reference token: a
candidate prices its gas (``gas_estimate`` units at the block's gas price, native wei) in its
base token (``gas_cost``), so ``gas_estimate * gas_price / gas_cost`` is that token's value in
native wei per base-token wei — the same conversion the detector used. Until a candidate of a
token was seen, its rate comes from the market's price observations (``PricesObserved``, in the
reference token per token wei). The reference token is the wrapped native coin (``tokens.base[0]``
by the config's rule), so the native gas balance counts one to one. Paper fills move nothing on
the chain: their P&L since the start is added, so drawdown sees paper results as live ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from appliance.events import Candidate

__all__ = ["Valuation"]


class Valuation:
    def __init__(self, reference_token: str | None) -> None:
        self.reference = reference_token
        self._rates: dict[str, Fraction] = {}  # candidate-implied: ref wei per token wei
        self._prices: dict[str, Fraction] = {}  # from price observations
        self._observed: dict[str, float] = {}  # the float each of ``_prices`` was made from
        self.paper_pnl = 0
        self.unvalued: tuple[str, ...] = ()  # held tokens without a rate at the last valuation
        # the rates change rarely (a new candidate rate, a new price) but equity is asked for
        # at every inventory read (every block in a backtest): the last valuation is reused
        # while its inputs are the same (``_version`` counts every change of a rate)
        self._version = 0
        self._last: tuple[tuple, int | None, tuple[str, ...]] | None = None

    def observe_candidate(self, candidate: Candidate, gas_price: int) -> None:
        if candidate.gas_cost > 0 and candidate.gas_estimate > 0 and gas_price > 0:
            rate = Fraction(candidate.gas_estimate * gas_price, candidate.gas_cost)
            if self._rates.get(candidate.base_token) != rate:
                self._rates[candidate.base_token] = rate
                self._version += 1

    def observe_prices(self, prices: Mapping[str, float]) -> None:
        for token, price in prices.items():
            if price > 0 and price == price and price != float("inf"):
                if self._observed.get(token) == price:
                    continue  # the same float: the same rational (the common case per block)
                self._observed[token] = price
                self._prices[token] = Fraction(price).limit_denominator(10**12)
                self._version += 1

    def rate(self, token: str) -> Fraction | None:
        if token == self.reference:
            return Fraction(1)
        return self._rates.get(token, self._prices.get(token))

    def equity(self, balances: Mapping[str, int], gas_balance_wei: int | None) -> int | None:
        """Reference-token wei of ``balances`` + the gas balance + paper P&L; None when a held
        token has no rate yet (the drawdown waits rather than seeing a false drop)."""
        key = (
            tuple(balances.items()),
            gas_balance_wei,
            self.paper_pnl,
            self.reference,
            self._version,
        )
        if self._last is not None and self._last[0] == key:
            self.unvalued = self._last[2]
            return self._last[1]
        value = self._equity(balances, gas_balance_wei)
        self._last = (key, value, self.unvalued)
        return value

    def _equity(self, balances: Mapping[str, int], gas_balance_wei: int | None) -> int | None:
        total = Fraction(gas_balance_wei or 0) + self.paper_pnl
        missing = []
        for token, amount in balances.items():
            if amount == 0:
                continue
            rate = self.rate(token)
            if rate is None:
                missing.append(token)
                continue
            total += amount * rate
        self.unvalued = tuple(missing)
        if missing or self.reference is None:
            return None
        return int(total)  # floor
