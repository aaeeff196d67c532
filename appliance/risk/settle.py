"""What a settled trade means for the breakers: success or not, and its net P&L (wei).

The P&L is in the *reference* token: a trade's ``value_ref`` (its net after gas, converted by the
executor into the wrapped native coin gas is priced in = the equity token when ``tokens.base[0]``
is that coin), so cycles over different base tokens add up in one unit. Updates without
``value_ref`` (older producers) fall back to ``net_profit``, then to gross minus gas.
"""

from __future__ import annotations

from collections import OrderedDict

from appliance.events import TradeStatus, TradeUpdated

__all__ = ["PENDING", "SettledOrders", "outcome"]

PENDING = (TradeStatus.SIGNED, TradeStatus.SENT)


class SettledOrders:
    """The orders whose terminal result was already counted (the most recent ``size``).

    A fill may be reported twice — the executor restarted and reconciled from the chain a trade
    whose final row the journal could not take — and must count once.
    """

    def __init__(self, size: int = 8192, known: tuple[str, ...] = ()) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict((o, None) for o in known[-size:])

    def recent(self, n: int) -> tuple[str, ...]:
        """The ``n`` most recently settled order ids, oldest first (what the risk state keeps)."""
        return tuple(list(self._ids)[-n:]) if n > 0 else ()

    def first(self, order_id: str) -> bool:
        """True the first time ``order_id`` settles; False for a repeat."""
        if order_id in self._ids:
            return False
        self._ids[order_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


def outcome(update: TradeUpdated) -> tuple[bool, int]:
    """``(success, pnl)`` of a terminal ``update`` (MINED, PAPER, REVERTED, DROPPED)."""
    gas = update.gas_cost or 0
    gross = update.realized_profit if update.realized_profit is not None else update.expected_profit
    if update.status is TradeStatus.MINED:
        success, pnl = True, gross - gas
    elif update.status is TradeStatus.PAPER:
        success = not update.reason
        pnl = gross - gas if success else -gas
    elif update.status is TradeStatus.REVERTED:
        success, pnl = False, -gas
    else:  # DROPPED: never mined, no gas spent
        success, pnl = False, 0
    if update.value_ref is not None:
        pnl = update.value_ref
    elif update.net_profit is not None:  # the executor's own accounting (base-token wei)
        pnl = update.net_profit
    return success, pnl
