"""The V3 overlay test runs on the execution tests' V3 devnet fixtures (:mod:`exec_fixtures`)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "execution"))

from exec_fixtures import v3_chain, v3_net  # noqa: F401
