"""The arb-appliance SD image builder (``image/build BASE.img OUT.img.xz``), rootless.

Runs on the build host, not on the appliance: sfdisk for the partition table, mtools for the
FAT boot partition, debugfs/dumpe2fs/e2fsck/resize2fs for the ext4 root, pip for the aarch64
wheels, systemd-sysusers for the accounts, xz for the result.
"""

from imgbuild.build import BuildOptions, BuildResult, build_image
from imgbuild.errors import BaseImageRefused, BuildStepFailed, BuildToolMissing, ImageBuildError

__all__ = [
    "BaseImageRefused",
    "BuildOptions",
    "BuildResult",
    "BuildStepFailed",
    "BuildToolMissing",
    "ImageBuildError",
    "build_image",
]
