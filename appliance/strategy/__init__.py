"""Opportunity detection: cycles, vectorised screening, exact integer re-check, hostile tokens.

The supervisor runs :func:`run_market`; the backtest and the tests drive :class:`Detector`.
"""

from appliance.strategy.cycles import CycleSet, build_cycles
from appliance.strategy.detector import Detector, DetectorStats
from appliance.strategy.errors import ProbeArtifactError, ProbeFailed, StrategyError
from appliance.strategy.exact import (
    Optimum,
    gas_in_base,
    optimal_input,
    profit_upper_bound,
    recheck,
)
from appliance.strategy.hostile import PROBE_ADDRESS, classify, probe_token
from appliance.strategy.ranking import rank_disjoint
from appliance.strategy.screen import Screen
from appliance.strategy.task import run_market

__all__ = [
    "PROBE_ADDRESS",
    "CycleSet",
    "Detector",
    "DetectorStats",
    "Optimum",
    "ProbeArtifactError",
    "ProbeFailed",
    "Screen",
    "StrategyError",
    "build_cycles",
    "classify",
    "gas_in_base",
    "optimal_input",
    "probe_token",
    "profit_upper_bound",
    "rank_disjoint",
    "recheck",
    "run_market",
]
