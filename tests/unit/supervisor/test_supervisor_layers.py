"""The layers of the brief, enforced by import-linter (the contracts live in pyproject.toml).

``make lint`` runs ``lint-imports`` too; this test makes CI (``make test``) enforce it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_import_contracts_are_kept() -> None:
    out = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout
    for contract in ("layers", "ui reads", "hw uses only", "no cycles"):
        assert contract in out.stdout, out.stdout


def test_the_plan_is_consistent() -> None:
    """Every channel a route or a child names exists; names are unique. (That compose starts
    exactly the plan's children in its order: tests/integration/supervisor, Supervisor.started.)"""
    from appliance.supervisor import plan

    names = [c.name for c in plan.CHILDREN]
    assert len(names) == len(set(names))
    assert {r.channel for r in plan.ROUTES} <= set(plan.CHANNELS)
    for child in plan.CHILDREN:
        assert set(child.reads) | set(child.writes) <= set(plan.CHANNELS), child
    assert names[0] == "hw"  # the kill switch before any network I/O
