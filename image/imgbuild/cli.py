"""Command line of ``image/build``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from appliance.errors import ApplianceError
from imgbuild.build import BuildOptions, build_image

__all__ = ["main"]

REPO = Path(__file__).resolve().parents[2]


def default_wheel_cache(env: Mapping[str, str]) -> Path:
    """``$ARB_IMAGE_CACHE/wheels`` (the cache ``image/check`` fills, e.g. systemd-python built on
    arm64), else ``image/cache/wheels`` in the checkout."""
    return Path(env.get("ARB_IMAGE_CACHE") or REPO / "image" / "cache") / "wheels"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="image/build",
        description="Turn a Raspberry Pi OS Lite (arm64) image into the arb-appliance image, without root.",
    )
    parser.add_argument(
        "base", type=Path, metavar="BASE.img", help="the official image, decompressed"
    )
    parser.add_argument(
        "out", type=Path, metavar="OUT.img.xz", help="where to write the appliance image"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=default_wheel_cache(os.environ),
        help="wheel cache (default: $ARB_IMAGE_CACHE/wheels, else image/cache/wheels, git-ignored)",
    )
    parser.add_argument(
        "--config-template",
        type=Path,
        default=REPO / "appliance" / "config" / "examples" / "ethereum.toml",
        help="written to the boot partition as arb-appliance.toml",
    )
    parser.add_argument(
        "--xz-level",
        type=int,
        default=6,
        choices=range(10),
        metavar="0-9",
        help="xz compression preset (default 6)",
    )
    args = parser.parse_args(argv)
    opts = BuildOptions(
        base=args.base,
        out=args.out,
        repo=REPO,
        cache=args.cache,
        config_template=args.config_template,
        xz_level=args.xz_level,
    )
    try:
        result = build_image(opts)
    except ApplianceError as exc:
        print(f"image/build: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    print(f"{result.out}\t{result.image_bytes}\t{result.compressed_bytes}\t{result.seconds:.1f}")
    return 0
