"""Risk: breakers, daily loss against its limit, VaR/CVaR, exposure and sizing regime.

Breaker states use the one vocabulary of :mod:`appliance.units` (``OK``, ``TRIPPED``, ``RETRY``).
Daily loss and VaR/CVaR are in the reference (P&L) token; exposure in each trade's base token.
"""

from __future__ import annotations

import math

from rich.console import RenderableType
from rich.text import Text

from appliance.units import amount, breaker_word, tokens
from ui.format import flow
from ui.status import RiskView, Status
from ui.widgets.chain import SEVERITY_COLOURS
from ui.widgets.panel import StatusPanel

__all__ = ["RiskPanel", "tail_risk_parts"]

MEASURED_REGIMES = ("low", "medium", "high")  # anything else: no price observations yet


def tail_risk_parts(r: RiskView, decimals: int, symbol: str) -> list[str]:
    """``VaR/CVaR 95% 0.0021/0.0034 WETH`` and the 99 % pair (the floats are wei)."""
    if math.isnan(r.var95):  # fewer than two settled trades: nothing to measure yet
        return ["VaR not measured (too few trades)"]

    def pair(var: float, cvar: float) -> str:
        return f"{tokens(round(var), decimals, places=4)}/{tokens(round(cvar), decimals, places=4)}"

    unit = f" {symbol}" if symbol else " wei"
    return [
        f"VaR/CVaR 95% {pair(r.var95, r.cvar95)}{unit}",
        f"99% {pair(r.var99, r.cvar99)}{unit}",
    ]


class RiskPanel(StatusPanel):
    FIELDS = ("risk", "decimals", "symbol")
    TITLE = "Risk"

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        r, d, sym = status.risk, status.decimals, status.symbol
        width = self.width_hint()
        text = Text("breakers ")
        states = sorted(r.breakers.items())
        bad = [(n, s) for n, s in states if breaker_word(s)[1] != "ok"]
        if not states:
            text.append("(none reported)")
        elif not bad:
            names = f" ({', '.join(n for n, _ in states)})"
            text.append("all OK", style="" if stale else "green")
            if len(text) + len(names) <= width and not self.tiny:
                text.append(names)
        else:  # the ones not OK, each "name WORD" whole on a line, coloured by severity
            parts = [(f"{n} ", *breaker_word(state)) for n, state in bad]
            if len(bad) < len(states):
                parts.append(("", f"{len(states) - len(bad)} OK", "ok"))
            column = len(text)
            for i, (name, word, severity) in enumerate(parts):
                piece = len(name) + len(word) + (2 if i else 0)
                if i and column + piece > width:
                    text.append(",\n  ")
                    column = 2
                elif i:
                    text.append(", ")
                text.append(name)
                text.append(word, style="" if stale else SEVERITY_COLOURS[severity])
                column += piece
        limit = r.daily_loss_limit
        over = limit is not None and r.daily_loss >= limit > 0
        text.append("\n")
        text.append(
            _daily_loss(r.daily_loss, limit, d, sym, width),
            style="bold red" if over and not stale else "",
        )
        if self.tiny:
            return text
        regime = r.regime if r.regime in MEASURED_REGIMES else "not measured"
        more = [*tail_risk_parts(r, d, sym), f"regime {regime}", f"size x{r.size_multiplier:g}"]
        more.append(f"exposure {_exposure(r.exposure)} in {r.pending} pending")
        text.append("\n" + "\n".join(flow(more, width)))
        return text


def _daily_loss(loss: int, limit: int | None, decimals: int, symbol: str, width: int) -> str:
    """Today's loss against the limit, in the longest wording that fits ``width``."""
    if limit is None:
        return f"daily loss {amount(loss, decimals, symbol)} (no limit)"
    used = f" ({100 * loss / limit:.0f}%)" if limit else ""
    options = [
        f"daily loss {tokens(loss, decimals)} / {amount(limit, decimals, symbol)}{used}",
        f"daily loss {tokens(loss, decimals, places=4)} / {amount(limit, decimals, symbol, places=4)}{used}",
        f"loss {tokens(loss, decimals, places=4)}/{amount(limit, decimals, symbol, places=4)}{used}",
    ]
    return next((o for o in options if len(o) <= width), options[-1])


def _exposure(per_token: tuple[tuple[str, int, int], ...]) -> str:
    """Pending input per base token, each in its own unit (never summed across tokens)."""
    if not per_token:
        return "0"
    return " + ".join(
        amount(wei, decimals, symbol, places=4) for symbol, decimals, wei in per_token
    )
