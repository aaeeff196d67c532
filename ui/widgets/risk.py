"""Risk: breakers, daily loss against its limit, VaR/CVaR, exposure and sizing regime."""

from __future__ import annotations

import math

from rich.console import RenderableType
from rich.text import Text

from ui.format import wei
from ui.status import Status
from ui.widgets.panel import StatusPanel

__all__ = ["RiskPanel"]

BREAKER_COLOURS = {"closed": "green", "half-open": "yellow", "open": "red"}
MEASURED_REGIMES = ("low", "medium", "high")  # anything else: no price observations yet


class RiskPanel(StatusPanel):
    FIELDS = ("risk", "decimals", "symbol")
    TITLE = "Risk"

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        r, d = status.risk, status.decimals  # daily loss: the P&L (reference) token's unit
        unit = f" {status.symbol}" if status.symbol else ""
        text = Text("breakers ")
        if not r.breakers:
            text.append("(none reported)")
        for i, (name, state) in enumerate(sorted(r.breakers.items())):
            text.append(", " if i else "")
            text.append(f"{name} {state}", style="" if stale else BREAKER_COLOURS.get(state, ""))
        limit = "-" if r.daily_loss_limit is None else wei(r.daily_loss_limit, decimals=d)
        used = ""
        if r.daily_loss_limit:
            used = f" ({100 * r.daily_loss / r.daily_loss_limit:.0f}%)"
        over = r.daily_loss_limit is not None and r.daily_loss >= r.daily_loss_limit > 0
        text.append("\ndaily loss ")
        text.append(
            f"{wei(r.daily_loss, decimals=d)} / {limit}{unit}{used}",
            style="bold red" if over and not stale else "",
        )
        if math.isnan(r.var95):  # fewer than two settled trades: nothing to measure yet
            text.append("\nVaR not measured (too few trades)")
        else:
            text.append(f"\nVaR95 {r.var95:.4g} CVaR95 {r.cvar95:.4g}")
            text.append(f"\nVaR99 {r.var99:.4g} CVaR99 {r.cvar99:.4g}")
        text.append(f"\nexposure {_exposure(r.exposure)} in {r.pending} pending")
        regime = r.regime if r.regime in MEASURED_REGIMES else "not measured"
        text.append(f"\nregime {regime}  size x{r.size_multiplier:g}")
        return text


def _exposure(per_token: tuple[tuple[str, int, int], ...]) -> str:
    """Pending input per base token, each in its own unit (never summed across tokens)."""
    if not per_token:
        return wei(0)
    return " + ".join(
        f"{wei(amount, decimals=decimals, places=4)}{' ' + symbol if symbol else ''}"
        for symbol, decimals, amount in per_token
    )
