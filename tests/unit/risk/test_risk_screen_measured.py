"""The status screen shows only what is measured (#14.9): before any price observation the
regime, and before two settled trades the VaR, read "not measured", never a made-up "low" or 0."""

from __future__ import annotations

import math

from ui.status import Liveness, RiskView, Status
from ui.widgets.risk import RiskPanel


def _text(risk: RiskView) -> str:
    status = Status(now=0.0, liveness=Liveness.LIVE, liveness_detail="", risk=risk)
    return RiskPanel().render_status(status, stale=False).plain


def test_unmeasured_regime_and_var_say_so():
    text = _text(RiskView(var95=math.nan, cvar95=math.nan, regime="unknown"))
    assert "VaR not measured" in text and "regime not measured" in text
    assert "nan" not in text.lower().replace("not measured", "")


def test_measured_figures_are_shown():
    text = _text(RiskView(var95=1.5e15, cvar95=2e15, var99=3e15, cvar99=4e15, regime="high"))
    assert "VaR/CVaR 95% 0.0015/0.0020" in text and "regime high" in text
