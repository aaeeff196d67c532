"""Gas bidding: the priority fee as a share of the expected profit, never above the cap.

Who is first in a block is decided by the priority fee (or, in a bundle, by what the builder is
paid). A searcher that bids a fixed tip loses to anyone who bids more of the same profit; one
that bids everything wins and earns nothing. The bid here is ``share`` of the expected net
profit (after the base fee's gas), spread over the gas estimate, clamped to
``[min_tip, max_fee - base_fee]``; the risk gate checks the net profit *after* that bid. A
replacement of a pending trade must raise both fees by at least 10 % (what nodes require), or
it is not sent. Exact integers (wei) throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Bid", "bid_for", "replacement_bid"]

REPLACEMENT_BUMP = Fraction(11, 10)  # +10 %, rounded up: nodes refuse less


@dataclass(frozen=True, slots=True)
class Bid:
    max_fee_per_gas: int
    priority_fee_per_gas: int
    expected_net_after_bid: int  # native wei: gross - gas at (base fee + tip)


def bid_for(
    *,
    gross_profit_wei: int,
    gas_estimate: int,
    base_fee: int,
    share: Fraction,
    min_tip: int,
    max_fee: int,
) -> Bid | None:
    """The bid for a trade expected to make ``gross_profit_wei`` (native wei, before gas).

    None when even the minimum tip leaves nothing (the trade must not be sent).
    """
    if gas_estimate <= 0 or not 0 <= share <= 1:
        raise ValueError(f"bad bid inputs: gas {gas_estimate}, share {share}")
    room = max_fee - base_fee
    if room < min_tip:
        return None
    net_at_base = gross_profit_wei - gas_estimate * base_fee
    tip = int(Fraction(max(net_at_base, 0)) * share / gas_estimate)
    tip = max(min_tip, min(tip, room))
    net = gross_profit_wei - gas_estimate * (base_fee + tip)
    if net <= 0:
        return None
    return Bid(min(max_fee, 2 * base_fee + tip), tip, net)  # room for one base-fee doubling


def replacement_bid(old: Bid, *, max_fee: int) -> Bid | None:
    """The same trade re-bid by at least 10 % on both fees, or None when the cap forbids it."""
    tip = -(-old.priority_fee_per_gas * REPLACEMENT_BUMP.numerator // REPLACEMENT_BUMP.denominator)
    fee = -(-old.max_fee_per_gas * REPLACEMENT_BUMP.numerator // REPLACEMENT_BUMP.denominator)
    if fee > max_fee:
        return None
    return Bid(fee, tip, old.expected_net_after_bid)  # the caller re-checks the profit
