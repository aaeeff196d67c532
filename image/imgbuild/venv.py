"""An offline virtualenv for the base image's CPython on linux/aarch64, assembled on this host.

pip does the platform work: ``pip download`` fills the wheel cache for the target platform
(``--platform manylinux_2_X_aarch64 --python-version 3.Y --implementation cp
--only-binary=:all:``), then ``pip install --target`` unpacks from that cache only
(``--no-index``), so a warm cache needs no network. We then add what ``python -m venv`` would
have made on the device: ``pyvenv.cfg`` pointing at the image's ``/usr/bin/python3``, the
``bin/python*`` links and console-script launchers with the venv's interpreter in their shebang.

systemd-python publishes no wheels (sdist only) and cannot be cross-built here. ``image/check``
(``make image-check``) builds it inside an arm64 Debian root under qemu-user and leaves the
``linux_aarch64`` wheel in the cache; when the cache holds such a wheel it is installed like any
other. Without one it is left out: the appliance's watchdog falls back to writing the
``NOTIFY_SOCKET`` datagram itself, and its logs reach journald through stdout/stderr (without
the structured fields).
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from imgbuild.errors import BuildStepFailed
from imgbuild.tools import run

try:
    from packaging.requirements import Requirement
except ImportError:  # pip vendors packaging
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]

__all__ = [
    "NO_WHEELS",
    "VENV_DIR",
    "build_own_wheel",
    "built_wheels",
    "fetch_wheels",
    "install_venv",
    "pip_platform_args",
    "target_requirements",
]

VENV_DIR = "/opt/arb-appliance/venv"
NO_WHEELS = {"systemd-python"}  # sdist-only on PyPI; see the module docstring
EXTRAS = ("pi",)  # lgpio: gpiozero's backend on a Pi
_SOURCES = ("appliance", "hw", "ui", "pyproject.toml", "README.md", "LICENSE")


def pip_platform_args(python: str, glibc: tuple[int, int]) -> list[str]:
    """pip options selecting wheels for CPython ``python`` on aarch64 with ``glibc``."""
    major, minor = glibc
    plats = ["manylinux2014_aarch64", "linux_aarch64"]
    plats += [f"manylinux_{major}_{m}_aarch64" for m in range(17, minor + 1)]
    args = []
    for plat in plats:
        args += ["--platform", plat]
    nodot = python.replace(".", "")
    return [
        *args,
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--abi",
        f"cp{nodot}",
        "--abi",
        "abi3",
        "--abi",
        "none",
        "--only-binary=:all:",
    ]


def _pip(*args: str) -> list[str]:
    return [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]


def build_own_wheel(repo: Path, out: Path) -> Path:
    """Build the appliance's wheel from a clean copy of the repo's sources (no build/ in the tree)."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="arb-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in _SOURCES:
            path = repo / name
            if path.is_dir():
                shutil.copytree(
                    path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                )
            elif path.is_file():
                shutil.copy2(path, src / name)
        if not (src / "README.md").exists():
            (src / "README.md").write_text("arb-appliance\n")
        proc = run(
            _pip("wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)),
            check=False,
        )
        if proc.returncode != 0:  # no setuptools/wheel here: let pip fetch them
            run(_pip("wheel", "--no-deps", "-q", "-w", str(out), str(src)))
    wheels = sorted(out.glob("arb_appliance-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise BuildStepFailed(f"pip wheel produced no arb_appliance wheel in {str(out)!r}")
    return wheels[-1]


def _target_env(python: str, python_full: str) -> dict[str, str]:
    return {
        "python_version": python,
        "python_full_version": python_full if python_full.count(".") == 2 else python + ".0",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "aarch64",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }


def built_wheels(cache: Path, python: str) -> set[str]:
    """Names in :data:`NO_WHEELS` with a wheel built for aarch64 and CPython ``python`` in ``cache``."""
    tag = "cp" + python.replace(".", "")
    found = set()
    for name in NO_WHEELS:
        stem = name.replace("-", "_")
        if any(cache.glob(f"{stem}-*-{tag}-{tag}-linux_aarch64.whl")):
            found.add(name)
    return found


def target_requirements(
    wheel: Path, python: str, python_full: str, built: set[str] = frozenset()
) -> tuple[list[str], list[str]]:
    """(requirements to install, requirements skipped) from the wheel's metadata, for the target.

    ``built``: names of :data:`NO_WHEELS` whose wheel was built for the target (installed too).
    """
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
    env = _target_env(python, python_full)
    wanted, skipped = [], []
    for line in meta.splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        req = Requirement(line.split(":", 1)[1].strip())
        marker = req.marker
        if marker is not None:
            ok = marker.evaluate({**env, "extra": ""}) or any(
                marker.evaluate({**env, "extra": e}) for e in EXTRAS
            )
            if not ok:
                continue
        spec = f"{req.name}{req.specifier}"
        skip = req.name in NO_WHEELS and req.name not in built
        (skipped if skip else wanted).append(spec)
    return wanted, skipped


def fetch_wheels(reqs: list[str], cache: Path, plat_args: list[str]) -> bool:
    """Make sure ``cache`` holds wheels for ``reqs``; True when the cache alone was enough."""
    cache.mkdir(parents=True, exist_ok=True)
    offline = run(
        _pip(
            "download",
            "-q",
            "--no-index",
            "--find-links",
            str(cache),
            "-d",
            str(cache),
            *plat_args,
            *reqs,
        ),
        check=False,
    )
    if offline.returncode == 0:
        return True
    # --find-links too: wheels built here (systemd-python for aarch64) are on no index.
    run(_pip("download", "-q", "--find-links", str(cache), "-d", str(cache), *plat_args, *reqs))
    return False


def install_venv(
    stage: Path,
    *,
    reqs: list[str],
    own_wheel: Path,
    cache: Path,
    plat_args: list[str],
    python: str,
    python_full: str,
) -> dict[str, int]:
    """Assemble ``stage`` (becomes ``VENV_DIR`` on the image); returns counts for the log."""
    site = stage / "lib" / f"python{python}" / "site-packages"
    site.mkdir(parents=True)
    common = [
        "install",
        "-q",
        "--no-index",
        "--find-links",
        str(cache),
        "--target",
        str(site),
        "--no-compile",
        "--no-warn-script-location",
        *plat_args,
    ]
    run(_pip(*common, *reqs))
    run(_pip(*common, "--no-deps", str(own_wheel)))
    shutil.rmtree(site / "bin", ignore_errors=True)  # host-made launchers; ours are below
    bindir = stage / "bin"
    bindir.mkdir()
    (bindir / "python3").symlink_to("/usr/bin/python3")
    (bindir / "python").symlink_to("python3")
    (bindir / f"python{python}").symlink_to("python3")
    (stage / "lib64").symlink_to("lib")
    (stage / "pyvenv.cfg").write_text(
        "home = /usr/bin\n"
        "include-system-site-packages = false\n"
        f"version = {python_full}\n"
        "executable = /usr/bin/python3\n"
        f"command = /usr/bin/python3 -m venv {VENV_DIR}\n"
    )
    scripts = _write_launchers(site, bindir)
    compiled = _compile(site, python)
    return {"dists": len(list(site.glob("*.dist-info"))), "scripts": scripts, "pyc": compiled}


def _write_launchers(site: Path, bindir: Path) -> int:
    count = 0
    for ep_file in sorted(site.glob("*.dist-info/entry_points.txt")):
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment]
        parser.read(ep_file)
        if not parser.has_section("console_scripts"):
            continue
        for name, target in parser.items("console_scripts"):
            module, _, attr = target.strip().partition(":")
            attr = attr.split("[")[0].strip()
            launcher = bindir / name
            launcher.write_text(
                f"#!{VENV_DIR}/bin/python3\n"
                "import sys\n"
                f"from {module.strip()} import {attr.split('.')[0]}\n"
                "if __name__ == '__main__':\n"
                f"    sys.exit({attr}())\n"
            )
            launcher.chmod(0o755)
            count += 1
    return count


def _compile(site: Path, python: str) -> int:
    """Byte-compile for the device when this host runs the same CPython minor version.

    The venv is read-only on the device (ProtectSystem=strict), so without these every start
    would compile web3 & co. in memory again. ``unchecked-hash`` pycs stay valid whatever the
    file times in the image are.
    """
    if f"{sys.version_info.major}.{sys.version_info.minor}" != python:
        return 0
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(site),
            "-p",
            f"{VENV_DIR}/lib/python{python}/site-packages",
            str(site),
        ],
        capture_output=True,
        check=False,
    )
    return sum(1 for _ in site.rglob("*.pyc"))


def tree_size(root: Path) -> tuple[int, int]:
    """(bytes rounded up to 4 KiB blocks, number of inodes) of the tree at ``root``."""
    blocks = inodes = 0
    for dirpath, dirnames, filenames in os.walk(root):
        inodes += 1 + len(filenames)
        blocks += 1
        for name in filenames:
            p = Path(dirpath) / name
            if not p.is_symlink():
                blocks += (p.stat().st_size + 4095) // 4096
        inodes += sum(1 for d in dirnames if (Path(dirpath) / d).is_symlink())
    return blocks * 4096, inodes
