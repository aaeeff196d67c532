"""The risk gate's net-profit rule, applied again after the simulation with the measured gas.

The gate judges a candidate with the strategy's gas pre-estimate; execution then knows better:
the simulated profit of the exact calldata on the pending block and the node's gas estimate of
it, at the head's base fee. The same rule (``risk.min_profit_wei``, ``risk.min_profit_bps``, the
exact rationals of :class:`appliance.risk.gate.Limits`) decides again before anything is signed.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.risk.gate import Limits

__all__ = ["ProfitRule"]


@dataclass(frozen=True, slots=True)
class ProfitRule:
    min_profit_wei: int
    min_profit_bps: tuple[int, int]  # exact rational (num, den)

    @classmethod
    def from_config(cls, risk_cfg) -> ProfitRule:  # risk_cfg: appliance.config.RiskConfig
        limits = Limits.from_config(risk_cfg)
        return cls(limits.min_profit_wei, limits.min_profit_bps)

    def refusal(self, net: int, amount_in: int) -> str | None:
        """Why ``net`` (base-token wei after gas) on ``amount_in`` is not enough; None: it is."""
        if net <= 0 or net < self.min_profit_wei:
            return f"net profit {net} wei below {max(self.min_profit_wei, 1)}"
        bnum, bden = self.min_profit_bps
        if amount_in <= 0 or net * 10_000 * bden < amount_in * bnum:
            return f"net profit {net} wei on input {amount_in} below {bnum / bden} bps"
        return None
