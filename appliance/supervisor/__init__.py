"""The supervisor: the task tree of DESIGN.md section 3, as a package.

* :mod:`~appliance.supervisor.plan` — the tree declared: subsystems, channels, routes, restarts;
* :mod:`~appliance.supervisor.compose` — the composition root that builds and runs it;
* side tasks in their own modules: :mod:`~appliance.supervisor.inventory` (balances, gas),
  :mod:`~appliance.supervisor.health` (synced / healthy / stale head),
  :mod:`~appliance.supervisor.sampler` (CPU, RSS, temperature);
* :mod:`~appliance.supervisor.locks` (one ``run`` per directory),
  :mod:`~appliance.supervisor.checks` (what ``run`` refuses up front).

The public names are imported lazily so ``check_runnable`` stays cheap for ``run``'s first line.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AlreadyRunning", "Supervisor", "check_runnable", "run_supervisor"]

_WHERE = {
    "AlreadyRunning": "appliance.supervisor.errors",
    "Supervisor": "appliance.supervisor.compose",
    "check_runnable": "appliance.supervisor.checks",
    "run_supervisor": "appliance.supervisor.compose",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'appliance.supervisor' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_WHERE[name]), name)
