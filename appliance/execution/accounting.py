"""What a trade earned, from its receipt (live) or its simulation (paper) — the same arithmetic.

* realized profit: the base token's ``Transfer`` logs into and out of the executor (cross-checked
  with the executor's ``Executed`` event, which also names the base token after a restart);
* gas: ``gasUsed × effectiveGasPrice`` in native wei, converted to base-token wei by
  :class:`GasToBase` (exact when the base token is the wrapped native coin);
* net = realized − gas in base; slippage = shortfall of realized vs expected gross, in bps;
* value_ref = the net in the *reference* token (the wrapped native coin gas is priced in): the one
  unit in which the P&L of cycles over different base tokens can be added up. Exact when the base
  token is the reference token; otherwise the base profit is converted at the candidate's own
  rate (``gas_estimate × gas_price`` native wei for ``gas_cost`` base wei), floored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from eth_utils import to_checksum_address

from appliance.execution.calldata import EXECUTED_TOPIC, TRANSFER_TOPIC

__all__ = [
    "Fill",
    "GasToBase",
    "candidate_rate",
    "fill_from_receipt",
    "fill_from_simulation",
    "slippage_bps",
]


@dataclass(frozen=True, slots=True)
class GasToBase:
    """Converts native wei to base-token wei.

    ``wrapped_native`` (``strategy.native_token``, default the first base token): when the base
    token is it, 1:1. Otherwise the rate the strategy used for
    the candidate (``gas_cost`` base wei for ``gas_estimate`` units at ``gas_price``) is reused.
    """

    wrapped_native: str | None = None
    base_per_native_num: int = 0  # rate = num / den (base wei per native wei)
    base_per_native_den: int = 1

    def __call__(self, base_token: str, native_wei: int) -> int:
        if self.wrapped_native is not None and base_token.lower() == self.wrapped_native.lower():
            return native_wei
        return native_wei * self.base_per_native_num // max(1, self.base_per_native_den)

    def value_ref(self, base_token: str | None, base_wei: int, gas_cost: int) -> int | None:
        """``base_wei`` (base-token wei, before gas) minus ``gas_cost`` (native wei), in native
        (= reference-token) wei. None when the base token is unknown or no rate is known."""
        if base_token is None:
            return None
        if self.wrapped_native is not None and base_token.lower() == self.wrapped_native.lower():
            return base_wei - gas_cost
        if self.base_per_native_num <= 0 or self.base_per_native_den <= 0:
            return None
        native_per_base = Fraction(self.base_per_native_den, self.base_per_native_num)
        return math.floor(base_wei * native_per_base) - gas_cost


def candidate_rate(wrapped_native: str | None, candidate: Any, gas_price: int) -> GasToBase:
    """The rate ``candidate`` implied: ``gas_cost`` base wei for its gas estimate at ``gas_price``."""
    den = candidate.gas_estimate * gas_price
    return GasToBase(wrapped_native, candidate.gas_cost if den else 0, den or 1)


@dataclass(frozen=True, slots=True)
class Fill:
    success: bool
    base_token: str | None
    realized_profit: int  # base-token wei, before gas (0 when reverted)
    gas_used: int
    gas_cost: int  # native wei
    net_profit: int  # base-token wei, after gas
    slippage_bps: float
    block: int | None = None
    value_ref: int | None = None  # net after gas in reference-token (native) wei; None: no rate


def slippage_bps(expected: int, realized: int) -> float:
    """Shortfall of ``realized`` against ``expected`` gross profit, in bps of expected (>0 = worse)."""
    if expected <= 0:
        return 0.0
    return round((expected - realized) * 10_000 / expected, 2)


def _topic_address(topic: str) -> str:
    return to_checksum_address("0x" + topic[-40:])


def _word(data: str, i: int) -> int:
    return int(data[2 + 64 * i : 2 + 64 * (i + 1)], 16)


def fill_from_receipt(
    receipt: dict[str, Any],
    *,
    executor: str,
    expected_profit: int,
    gas_to_base: GasToBase,
    base_token: str | None = None,
) -> Fill:
    """Account one mined transaction. ``base_token`` may be None: it is read from the event."""
    success = int(receipt["status"], 16) == 1
    gas_used = int(receipt["gasUsed"], 16)
    gas_cost = gas_used * int(receipt.get("effectiveGasPrice") or "0x0", 16)
    executor_l = executor.lower()
    event_profit: int | None = None
    for log in receipt.get("logs", []):
        if (
            log["address"].lower() == executor_l
            and log["topics"]
            and log["topics"][0] == EXECUTED_TOPIC
        ):
            base_token = base_token or _topic_address(log["topics"][1])
            event_profit = _word(log["data"], 2)
    realized = 0
    if success and base_token is not None:
        inflow = outflow = 0
        for log in receipt.get("logs", []):
            topics = log["topics"]
            if (
                log["address"].lower() != base_token.lower()
                or len(topics) != 3
                or topics[0] != TRANSFER_TOPIC
            ):
                continue
            amount = int(log["data"], 16)
            if _topic_address(topics[2]).lower() == executor_l:
                inflow += amount
            if _topic_address(topics[1]).lower() == executor_l:
                outflow += amount
        realized = inflow - outflow
        if event_profit is not None and event_profit != realized:
            # Transfer logs are the ground truth for balances; a disagreement means a token that
            # moves balances without logs (rebasing): trust neither, report the smaller.
            realized = min(realized, event_profit)
    gas_base = gas_to_base(base_token or "", gas_cost)
    block = int(receipt["blockNumber"], 16) if receipt.get("blockNumber") else None
    return Fill(
        success=success,
        base_token=base_token,
        realized_profit=realized,
        gas_used=gas_used,
        gas_cost=gas_cost,
        net_profit=realized - gas_base,
        slippage_bps=slippage_bps(expected_profit, realized),
        block=block,
        value_ref=gas_to_base.value_ref(base_token, realized, gas_cost),
    )


def fill_from_simulation(
    *,
    profit: int,
    gas_used: int,
    gas_price: int,
    base_token: str,
    expected_profit: int,
    gas_to_base: GasToBase,
    block: int,
) -> Fill:
    """Paper mode: the simulation is the fill, accounted exactly like a receipt."""
    gas_cost = gas_used * gas_price
    return Fill(
        success=True,
        base_token=base_token,
        realized_profit=profit,
        gas_used=gas_used,
        gas_cost=gas_cost,
        net_profit=profit - gas_to_base(base_token, gas_cost),
        slippage_bps=slippage_bps(expected_profit, profit),
        block=block,
        value_ref=gas_to_base.value_ref(base_token, profit, gas_cost),
    )
