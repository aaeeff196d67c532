"""systemd-python has no aarch64 wheel on PyPI: one built on arm64 in the cache is installed."""

from __future__ import annotations

import sys
import zipfile

import pytest
from imagekit import REPO

sys.path.insert(0, str(REPO / "image"))

from imgbuild.venv import built_wheels, target_requirements

pytestmark = [pytest.mark.image]

META = """Metadata-Version: 2.1
Name: arb-appliance
Version: 0.1.0
Requires-Dist: numpy>=1.26
Requires-Dist: systemd-python>=235
Requires-Dist: lgpio>=0.2; extra == "pi"
"""


def own_wheel(tmp_path):
    path = tmp_path / "arb_appliance-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("arb_appliance-0.1.0.dist-info/METADATA", META)
    return path


def test_wheels_systemd_python_skipped_without_a_built_wheel(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "systemd_python-235-cp312-cp312-linux_aarch64.whl").write_bytes(b"")  # other CPython
    (cache / "systemd_python-235-cp311-cp311-linux_x86_64.whl").write_bytes(b"")  # other machine
    assert built_wheels(cache, "3.11") == set()
    wanted, skipped = target_requirements(own_wheel(tmp_path), "3.11", "3.11.2", set())
    assert skipped == ["systemd-python>=235"]
    assert "lgpio>=0.2" in wanted and "numpy>=1.26" in wanted


def test_wheels_systemd_python_installed_when_built_for_the_target(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "systemd_python-235-cp311-cp311-linux_aarch64.whl").write_bytes(b"")
    built = built_wheels(cache, "3.11")
    assert built == {"systemd-python"}
    wanted, skipped = target_requirements(own_wheel(tmp_path), "3.11", "3.11.2", built)
    assert skipped == [] and "systemd-python>=235" in wanted


def test_wheels_cache_follows_arb_image_cache(tmp_path):
    # image/check fills $ARB_IMAGE_CACHE/wheels (systemd-python built on arm64): image/build must
    # look there too, or the venv silently lacks systemd-python (seen in make image-check)
    from imgbuild.cli import default_wheel_cache

    assert default_wheel_cache({"ARB_IMAGE_CACHE": str(tmp_path)}) == tmp_path / "wheels"
    assert default_wheel_cache({}) == REPO / "image" / "cache" / "wheels"
