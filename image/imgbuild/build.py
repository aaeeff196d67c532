"""image/build: Raspberry Pi OS Lite (arm64) image -> arb-appliance image, without root.

Steps: read the base (refusing what we do not recognise) -> build our wheel -> fetch the
aarch64 wheels (cached) -> assemble the venv -> add users -> write the root filesystem (grown
when needed) -> write the boot partition -> assemble the image file -> xz. The output appears
only when everything succeeded.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from imgbuild.base import describe_base, extract_partitions, inspect_base
from imgbuild.disk import SECTOR, copy_range, resize_partition
from imgbuild.errors import BaseImageRefused, BuildStepFailed
from imgbuild.ext4 import Ext4, Script
from imgbuild.fat import Fat
from imgbuild.rootfs import APP_DIR, add_tree, enable_links, ensure_dirs, system_files
from imgbuild.tools import Progress, require_tools
from imgbuild.users import add_users
from imgbuild.venv import (
    VENV_DIR,
    build_own_wheel,
    built_wheels,
    fetch_wheels,
    install_venv,
    pip_platform_args,
    target_requirements,
    tree_size,
)

__all__ = ["BuildOptions", "BuildResult", "build_image"]

BOOT_CONFIG = "arb-appliance.toml"
BOOT_KEY = "arb-appliance.key"
BOOT_README = "arb-appliance-README.txt"
HEADROOM = 96 << 20  # free space left on the root filesystem for the journal's first days
_ALIGN = 4 << 20


@dataclass(frozen=True)
class BuildOptions:
    base: Path
    out: Path
    repo: Path
    cache: Path
    config_template: Path
    xz_level: int = 6


@dataclass(frozen=True)
class BuildResult:
    out: Path
    image_bytes: int
    compressed_bytes: int
    grown_bytes: int
    seconds: float


def _ensure_fsck_repair(cmdline: bytes) -> bytes:
    text = cmdline.decode().strip()
    tokens = [t for t in text.split() if not t.startswith("fsck.repair=")]
    return (" ".join([*tokens, "fsck.repair=yes"]) + "\n").encode()


def build_image(opts: BuildOptions) -> BuildResult:
    steps = Progress(10)
    steps.step("check host tools")
    require_tools()
    if not opts.config_template.is_file():
        raise BaseImageRefused(f"config template {str(opts.config_template)!r} does not exist")
    if not opts.out.name.endswith(".img.xz"):
        raise BaseImageRefused(f"output {str(opts.out)!r} must end in .img.xz")
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".arb-image-", dir=opts.out.parent) as tmp:
        work = Path(tmp)
        steps.step(f"read the base image {opts.base}")
        _, boot, root = inspect_base(opts.base)
        boot_img, root_img = extract_partitions(opts.base, boot, root, work)
        boot_fs, root_fs = Fat(boot_img), Ext4(root_img)
        info = describe_base(boot, root, boot_fs, root_fs)
        if boot_fs.read(BOOT_KEY) is not None:
            raise BaseImageRefused(
                f"the base's boot partition holds {BOOT_KEY}: refusing to put a key into an image"
            )
        steps.note(
            f"{info.pretty_name}; CPython {info.python_full}; glibc {info.glibc[0]}.{info.glibc[1]}; "
            f"root {root.nbytes >> 20} MiB"
        )

        steps.step("build the arb-appliance wheel")
        wheel = build_own_wheel(opts.repo, work / "wheel")
        built = built_wheels(opts.cache, info.python) if opts.cache.is_dir() else set()
        reqs, skipped = target_requirements(wheel, info.python, info.python_full, built)
        steps.note(
            f"{wheel.name}; built on arm64: {', '.join(sorted(built)) or 'none'}; "
            f"not installed (no wheels on PyPI): {', '.join(skipped) or 'none'}"
        )

        plat = pip_platform_args(info.python, info.glibc)
        steps.step(f"fetch wheels for linux/aarch64, CPython {info.python} into {opts.cache}")
        cached = fetch_wheels(reqs, opts.cache, plat)
        steps.note("all from the cache" if cached else "downloaded what the cache lacked")

        steps.step(f"assemble the venv for {VENV_DIR}")
        stage = work / "venv"
        counts = install_venv(
            stage,
            reqs=reqs,
            own_wheel=wheel,
            cache=opts.cache,
            plat_args=plat,
            python=info.python,
            python_full=info.python_full,
        )
        steps.note(
            f"{counts['dists']} distributions, {counts['scripts']} launchers, {counts['pyc']} .pyc"
        )

        script = Script()
        steps.step("add users arb and arb-ui (systemd-sysusers)")
        staging = work / "files"
        staging.mkdir()
        for line in add_users(
            root_fs, opts.repo / "systemd" / "sysusers.d" / "arb-appliance.conf", script, staging
        ):
            steps.note(line)

        steps.step("write the root filesystem")
        files = system_files(opts.repo)
        links = enable_links(opts.repo)
        ensure_dirs(
            root_fs,
            [APP_DIR + "/x"]
            + [d for _, d in files if not d.startswith(APP_DIR + "/")]
            + [link for link, _ in links],
            script,
        )
        add_tree(stage, VENV_DIR, script)
        for src, dest in files:
            script.write(src, dest, mode=0o644)
        for link, target in links:
            if root_fs.exists(link):
                script.remove(link)
            script.symlink(link, target)
        _make_room(root_fs, stage, steps)
        root_fs.apply(script)
        root_fs.check()

        steps.step("write the boot partition")
        boot_fs.write(BOOT_CONFIG, opts.config_template.read_bytes())
        boot_fs.write(BOOT_README, (opts.repo / "image" / "README-boot.txt").read_bytes())
        boot_fs.write("cmdline.txt", _ensure_fsck_repair(boot_fs.read("cmdline.txt") or b""))

        steps.step("assemble the image")
        image = work / "out.img"
        new_root_bytes = root_img.stat().st_size
        total = root.offset + new_root_bytes
        with open(image, "wb") as fh:
            fh.truncate(total)
        copy_range(opts.base, image, src_offset=0, dst_offset=0, length=boot.offset)
        copy_range(boot_img, image, src_offset=0, dst_offset=boot.offset, length=boot.nbytes)
        copy_range(
            opts.base,
            image,
            src_offset=boot.offset + boot.nbytes,
            dst_offset=boot.offset + boot.nbytes,
            length=root.offset - boot.offset - boot.nbytes,
        )
        copy_range(root_img, image, src_offset=0, dst_offset=root.offset, length=new_root_bytes)
        if new_root_bytes != root.nbytes:
            resize_partition(image, 2, new_root_bytes // SECTOR)

        steps.step(f"compress with xz -{opts.xz_level}")
        partial = opts.out.with_name(opts.out.name + ".partial")
        try:
            with open(partial, "wb") as fh:
                proc = subprocess.run(
                    ["xz", "-T0", f"-{opts.xz_level}", "-c", str(image)],
                    stdout=fh,
                    stderr=subprocess.PIPE,
                )
            if proc.returncode != 0:
                raise BuildStepFailed(
                    f"xz exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]!r}"
                )
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, opts.out)
        seconds = steps.done(
            f"{opts.out} ({opts.out.stat().st_size >> 20} MiB compressed, {total >> 20} MiB image)"
        )
        return BuildResult(
            out=opts.out,
            image_bytes=total,
            compressed_bytes=opts.out.stat().st_size,
            grown_bytes=new_root_bytes - root.nbytes,
            seconds=seconds,
        )


def _make_room(fs: Ext4, stage: Path, steps: Progress) -> int:
    """Grow the root filesystem when the venv and the headroom do not fit; returns bytes added."""
    sb = fs.superblock()
    block = int(sb["Block size"])
    free_blocks, free_inodes = int(sb["Free blocks"]), int(sb["Free inodes"])
    blocks, inodes_per_group = int(sb["Block count"]), int(sb["Inodes per group"])
    per_group = int(sb["Blocks per group"])
    tree_bytes, tree_inodes = tree_size(stage)
    need_blocks = (tree_bytes + HEADROOM) // block + 2048
    need_inodes = tree_inodes + 2048
    extra = max(0, need_blocks - free_blocks)
    if need_inodes > free_inodes:
        groups = -(-(need_inodes - free_inodes) // inodes_per_group)
        extra = max(extra, groups * per_group)
    if extra == 0:
        steps.note(f"fits: {tree_bytes >> 20} MiB into {free_blocks * block >> 20} MiB free")
        return 0
    extra += extra // 50 + 1024  # resize2fs' own metadata
    new_bytes = max(-(-((blocks + extra) * block) // _ALIGN) * _ALIGN, fs.path.stat().st_size)
    old_bytes = blocks * block
    steps.note(
        f"growing the root filesystem {old_bytes >> 20} -> {new_bytes >> 20} MiB for {tree_bytes >> 20} MiB of venv"
    )
    fs.grow(new_bytes)
    return new_bytes - old_bytes
