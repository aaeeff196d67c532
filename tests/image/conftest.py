"""Fixtures of the image tests (helpers live in imagekit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from imagekit import BaseSpec, make_base_image


@pytest.fixture
def base_factory(tmp_path):
    def make(name: str = "base.img", **changes) -> Path:
        return make_base_image(tmp_path / name, BaseSpec(**changes))

    return make
