"""The submission tests run on the execution tests' fixtures (:mod:`exec_fixtures`)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "execution"))

from exec_fixtures import chain, exec_net, journal, latch  # noqa: F401
