"""Packaging metadata in today's form (PEP 639): no licence deprecation noise in ``make setup``."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_packaging_license_is_an_spdx_expression_with_its_file():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = meta["project"]
    assert project["license"] == "MIT"  # a string: the TOML table form is deprecated
    assert project["license-files"] and all((ROOT / f).is_file() for f in project["license-files"])
    floor = next(r for r in meta["build-system"]["requires"] if r.startswith("setuptools"))
    assert int(re.search(r">=\s*(\d+)", floor).group(1)) >= 77  # the first to support both
    assert not any("License ::" in c for c in project.get("classifiers", []))  # not with SPDX


def test_packaging_installed_metadata_carries_the_expression():
    dist = importlib.metadata.metadata("arb-appliance")
    assert dist.get("License-Expression") == "MIT"
    assert "docs/LICENSE" in (dist.get_all("License-File") or [])
