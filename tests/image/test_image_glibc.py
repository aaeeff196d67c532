"""The base image's glibc, read from its own libc.so.6: the aarch64 wheels are chosen by it.

A base whose os-release has no VERSION_CODENAME and which carries no dpkg status used to be
taken for glibc 2.31, and the wheel fetch then failed (lgpio>=0.2 is manylinux_2_34 only). Now
the builder reads the version from the library itself, or refuses with one line.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from imagekit import REPO, make_base_image, run_build

sys.path.insert(0, str(REPO / "image"))

from imagekit import BaseSpec
from imgbuild.base import describe_base, extract_partitions, inspect_base
from imgbuild.ext4 import Ext4
from imgbuild.fat import Fat
from imgbuild.venv import pip_platform_args

pytestmark = [pytest.mark.image]


def describe(tmp_path, **changes):
    base = make_base_image(tmp_path / "base.img", BaseSpec(root_mib=16, **changes))
    _, boot, root = inspect_base(base)
    work = tmp_path / "parts"
    work.mkdir()
    boot_img, root_img = extract_partitions(base, boot, root, work)
    return describe_base(boot, root, Fat(boot_img), Ext4(root_img))


def test_glibc_read_from_libc_without_codename_or_dpkg(tmp_path):
    info = describe(tmp_path, codename=False, dpkg_status=False, libc="2.36")
    assert info.codename == ""
    assert info.glibc == (2, 36)
    assert info.python == "3.11"


def test_glibc_libc_wins_over_the_dpkg_status(tmp_path):
    # the synthetic dpkg status says 2.36; the library is what the device really loads
    assert describe(tmp_path, libc="2.41").glibc == (2, 41)


def test_glibc_old_layout_read_from_the_file_name(tmp_path):
    info = describe(tmp_path, codename=False, dpkg_status=False, libc="2.31", libc_old_name=True)
    assert info.glibc == (2, 31)


def test_glibc_falls_back_to_dpkg_when_there_is_no_libc(tmp_path):
    assert describe(tmp_path, libc=None).glibc == (2, 36)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"codename": False, "dpkg_status": False, "libc": None},
            "cannot tell the base's glibc version",
        ),
        ({"libc_machine": 40}, "not a 64-bit ARM (aarch64) library"),
    ],
)
def test_glibc_unknown_or_foreign_libc_refused_in_one_line(base_factory, tmp_path, change, reason):
    base = base_factory(root_mib=16, **change)
    out = tmp_path / "out.img.xz"
    proc = run_build(base, out)
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("image/build: ") and reason in last
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_glibc_platform_tags_follow_the_base(tmp_path):
    args = pip_platform_args("3.11", (2, 36))
    plats = {args[i + 1] for i, a in enumerate(args) if a == "--platform"}
    assert {"manylinux_2_34_aarch64", "manylinux_2_36_aarch64"} <= plats
    assert "manylinux_2_37_aarch64" not in plats
    assert args[args.index("--python-version") + 1] == "3.11"


@pytest.mark.slow
def test_glibc_lgpio_wheel_found_for_a_base_without_codename(tmp_path):
    """The failing case end to end: tags from the libc of such a base find lgpio>=0.2 on aarch64."""
    info = describe(tmp_path, codename=False, dpkg_status=False, libc="2.36")
    cache = REPO / "image" / "cache" / "wheels"

    def download(glibc, *index):
        cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "download", "-q"]
        cmd += ["--no-deps", "-d", str(tmp_path / "dl"), "--find-links", str(cache), *index]
        cmd += [*pip_platform_args(info.python, glibc), "lgpio>=0.2"]
        return subprocess.run(cmd, capture_output=True, text=True)

    proc = download(info.glibc)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert list((tmp_path / "dl").glob("lgpio-*aarch64.whl"))
    # the old guess (glibc 2.31) finds no lgpio at all, not even in the cache: the test can fail
    old = download((2, 31), "--no-index")
    assert old.returncode != 0 and "lgpio" in old.stderr
