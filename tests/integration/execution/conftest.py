"""The execution integration tests' fixtures (:mod:`exec_fixtures`)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from exec_fixtures import chain, exec_net, journal, latch, v3_chain, v3_net  # noqa: F401
