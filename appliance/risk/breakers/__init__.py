"""Circuit breakers as rules: one module per breaker behind one interface, loaded by name.

Tiers shipped (see each module)::

    trade     N consecutive failed trades -> open; half-open after the cooldown; closed after M
              successful probes
    session   net loss since the session began >= limit -> open until a clean restart / re-arm
    daily     net loss since the last reset >= limit -> open until the reset hour (UTC)
    drawdown  equity below its PEAK by >= max_drawdown_pct -> open until the deliberate re-arm
    gas       the native gas balance below min_gas_balance_wei -> open until it is back

A new breaker is a new module here with a ``BREAKER`` class (:class:`Breaker`) and its name in
:data:`BREAKER_NAMES`; the engine is not edited. Their state is saved by name, so an older saved
state still loads (see :mod:`appliance.risk.breakers.panel`).
"""

from appliance.risk.breakers.base import (
    Breaker,
    BreakerChange,
    BreakerState,
    Rebuilt,
    day_index,
)
from appliance.risk.breakers.panel import BREAKER_NAMES, Breakers, breaker_class

__all__ = [
    "BREAKER_NAMES",
    "Breaker",
    "BreakerChange",
    "BreakerState",
    "Breakers",
    "Rebuilt",
    "breaker_class",
    "day_index",
]
