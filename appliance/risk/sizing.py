"""Trade sizes: the multiplier (volatility regime, REDUCED mode, optional VaR cap) and the size
caps per base token that the strategy sizes below (exact: ``Fraction``, floored to wei)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from appliance.modes import Mode
from appliance.risk.measures import REGIME_MULTIPLIER

__all__ = ["size_caps", "size_multiplier", "var_factor"]


def var_factor(enabled: bool, var99: float, session_loss_wei: int, pnl_session: int) -> float:
    """With ``risk.var_caps_trade``: shrink sizes so the 99 % VaR of a trade's realized P&L fits
    in what is left of the session loss budget (1.0 when off or not measured)."""
    if not enabled or not var99 > 0:
        return 1.0
    budget = max(0, int(session_loss_wei) + min(0, pnl_session))
    return min(1.0, budget / var99)


def size_multiplier(regime: str, mode: Mode, reduced_size_factor: float, var: float) -> float:
    """An unmeasured regime sizes as "low" (the screen says it is not measured)."""
    mult = REGIME_MULTIPLIER.get(regime, 1.0)
    if mode is Mode.REDUCED:
        mult *= reduced_size_factor
    return mult * var


def size_caps(
    inventory: Mapping[str, int],
    *,
    trading: bool,
    flash: bool,
    max_trade_wei: int,
    max_trade_pct_inventory: float,
    multiplier: float,
    kelly_bet: float | None,
) -> dict[str, int]:
    """Largest input per base token the gate would accept (0 when not trading); flash funding
    risks nothing held, so only the absolute cap applies. Includes the fractional-Kelly cap."""
    mult = Fraction(multiplier)
    pct = Fraction(max_trade_pct_inventory) / 100
    caps = {}
    for token, balance in inventory.items():
        if not trading or (balance <= 0 and not flash):
            caps[token] = 0
        elif flash:
            caps[token] = int(Fraction(max_trade_wei) * mult)
        else:
            cap = min(Fraction(max_trade_wei) * mult, balance * pct * mult)
            if kelly_bet is not None:
                cap = min(cap, balance * Fraction(kelly_bet))
            caps[token] = int(cap)  # floor
    return caps
