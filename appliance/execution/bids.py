"""What a trade bids for its place in the block: a priority fee, or a bundle's coinbase payment.

Both are a configured share of the expected net profit (:mod:`appliance.submission.bidding`):

* ``execution.bid_share`` — the priority fee: the share of the net after the base fee's gas,
  spread over the node's gas estimate, at least ``tip_gwei``, capped by ``max_fee_gwei``;
* ``execution.coinbase_share`` (bundles) — native wei the executor pays ``block.coinbase`` out of
  the profit through ``execute_paying``, only when the trade succeeds.

Both need the profit in the native coin: they apply when the cycle's base token is the wrapped
native coin (1:1, exact); for other base tokens the fixed ``tip_gwei`` is the bid. The pipeline's
net-profit check (the risk gate's rule) counts the bid as a cost before anything is signed.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from appliance.events import Candidate
from appliance.execution.fees import Fees, gwei
from appliance.submission.bidding import bid_for

__all__ = ["coinbase_bid", "tip_bid"]

PAYING_GAS = 30_000  # unwrap + send + log of execute_paying, on top of the plain cycle


def _native(pipe: Any, cand: Candidate) -> bool:
    return cand.base_token.lower() == str(pipe.native_token).lower()


def coinbase_bid(pipe: Any, cand: Candidate, head: Any) -> int:
    """Native wei the executor pays the builder for ``cand`` in a bundle (0: no payment)."""
    share = Fraction(str(pipe.ex.coinbase_share))
    if pipe.submit != "bundle" or share <= 0 or not _native(pipe, cand):
        return 0
    price = (head.base_fee or 0) + gwei(pipe.ex.tip_gwei)
    net = cand.gross_profit - (cand.gas_estimate + PAYING_GAS) * price
    return int(net * share) if net > 0 else 0


def tip_bid(pipe: Any, cand: Candidate, profit: int, gas: int, fees: Fees, head: Any) -> Fees:
    """``fees`` with the priority fee raised to ``execution.bid_share`` of the simulated net."""
    if fees.legacy or head.base_fee is None or not _native(pipe, cand):
        return fees
    bid = bid_for(
        gross_profit_wei=profit,
        gas_estimate=max(1, gas),
        base_fee=head.base_fee,
        share=Fraction(str(pipe.ex.bid_share)),
        min_tip=int(fees.tip or 0),
        max_fee=gwei(pipe.ex.max_fee_gwei),
    )
    if bid is None:  # even the minimum tip leaves nothing: the net check refuses it
        return fees
    return Fees(max_fee=bid.max_fee_per_gas, tip=bid.priority_fee_per_gas)
