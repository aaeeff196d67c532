"""Risk: trading modes, the pre-trade gate, multi-tier breakers, VaR/CVaR and sizing.

>>> engine = RiskEngine(cfg.risk, latch=latch, state=RiskStateFile.in_dir(data_dir).load())
>>> orders, records = engine.on_candidates(found)

The supervisor runs :func:`run_risk`; everything else here is synchronous and pure-ish.
"""

from appliance.risk.breakers import (
    BREAKER_NAMES,
    Breaker,
    BreakerChange,
    Breakers,
    BreakerState,
    Rebuilt,
    breaker_class,
    day_index,
)
from appliance.risk.engine import Record, RiskEngine
from appliance.risk.errors import ModeTransitionError, RiskError, RiskStateError
from appliance.risk.gate import APPROVED, REASONS, Decision, GateContext, Limits, gate
from appliance.risk.inputs import (
    HealthReported,
    HoldReleased,
    HoldRequested,
    InventoryObserved,
    PricesObserved,
    RearmRequested,
)
from appliance.risk.measures import (
    REGIME_MULTIPLIER,
    KellySizer,
    PriceReturns,
    RingBuffer,
    TailRisk,
    TailRiskFigures,
    exposure_scales,
    tail_risk,
    vol_regime,
)
from appliance.risk.modes import ModeController
from appliance.risk.state import RiskState, RiskStateFile
from appliance.risk.task import run_risk

__all__ = [
    "APPROVED",
    "BREAKER_NAMES",
    "REASONS",
    "REGIME_MULTIPLIER",
    "Breaker",
    "BreakerChange",
    "BreakerState",
    "Breakers",
    "Decision",
    "GateContext",
    "HealthReported",
    "HoldReleased",
    "HoldRequested",
    "InventoryObserved",
    "KellySizer",
    "Limits",
    "ModeController",
    "ModeTransitionError",
    "PriceReturns",
    "PricesObserved",
    "RearmRequested",
    "Rebuilt",
    "Record",
    "RingBuffer",
    "RiskEngine",
    "RiskError",
    "RiskState",
    "RiskStateError",
    "RiskStateFile",
    "TailRisk",
    "TailRiskFigures",
    "breaker_class",
    "day_index",
    "exposure_scales",
    "gate",
    "run_risk",
    "tail_risk",
    "vol_regime",
]
