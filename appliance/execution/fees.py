"""Fee fields of a transaction: EIP-1559 with the configured caps, legacy on chains without a
base fee, and the bump used to replace a stuck transaction (same nonce)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from appliance.config import ExecutionConfig

__all__ = ["BUMP_PERCENT", "Fees", "bump", "gwei", "initial_fees"]

BUMP_PERCENT = 15  # nodes (geth, reth, anvil) require >= 10% on both fields to replace


def gwei(value: float) -> int:
    return int(Decimal(str(value)) * 10**9)


@dataclass(frozen=True, slots=True)
class Fees:
    """Either ``max_fee``+``tip`` (type 2) or ``gas_price`` (legacy)."""

    max_fee: int | None = None
    tip: int | None = None
    gas_price: int | None = None

    @property
    def legacy(self) -> bool:
        return self.gas_price is not None

    @property
    def cap(self) -> int:
        """The most one gas unit can cost."""
        return self.gas_price if self.gas_price is not None else int(self.max_fee or 0)

    def fields(self) -> dict[str, int]:
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}
        return {"maxFeePerGas": int(self.max_fee or 0), "maxPriorityFeePerGas": int(self.tip or 0)}


def initial_fees(
    cfg: ExecutionConfig, base_fee: int | None, node_gas_price: int | None = None
) -> Fees:
    """Fees for a new transaction at a head with ``base_fee`` (None: legacy chain)."""
    cap = gwei(cfg.max_fee_gwei)
    tip = min(gwei(cfg.tip_gwei), cap)
    if base_fee is None:
        price = node_gas_price if node_gas_price is not None else tip
        return Fees(gas_price=min(cap, max(price, 1)))
    return Fees(max_fee=min(cap, 2 * base_fee + tip), tip=tip)


def bump(fees: Fees, cfg: ExecutionConfig) -> Fees | None:
    """Fees that replace ``fees`` (+15%), or None when that would break the configured cap."""
    cap = gwei(cfg.max_fee_gwei)

    def up(x: int) -> int:
        return x + max(1, -(-x * BUMP_PERCENT // 100))

    if fees.gas_price is not None:
        new = up(fees.gas_price)
        return Fees(gas_price=new) if new <= cap else None
    max_fee, tip = up(int(fees.max_fee or 0)), up(int(fees.tip or 0))
    if max_fee > cap:
        return None
    return Fees(max_fee=max_fee, tip=min(tip, max_fee))
