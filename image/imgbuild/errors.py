"""Errors of the image builder.

::

    ImageBuildError (appliance.errors.ApplianceError)
    ├── BaseImageRefused (UserError)        the base image is not one we recognise: exit 2, reason
    ├── BuildToolMissing (ToolMissing)      sfdisk, mtools, debugfs ... not installed: exit 2
    └── BuildStepFailed (OperationalError)  an external tool failed; its command and stderr tail

Messages quote the offending value (the path, the partition type, the missing file).
"""

from __future__ import annotations

from appliance.errors import ApplianceError, OperationalError, ToolMissing, UserError

__all__ = ["BaseImageRefused", "BuildStepFailed", "BuildToolMissing", "ImageBuildError"]


class ImageBuildError(ApplianceError):
    """Anything the image builder raises on purpose."""


class BaseImageRefused(ImageBuildError, UserError):
    """The base image is not a Raspberry Pi OS / Debian image we can turn into the appliance."""


class BuildToolMissing(ImageBuildError, ToolMissing):
    """A host tool the build needs is not installed (``make setup`` installs them)."""


class BuildStepFailed(ImageBuildError, OperationalError):
    """An external command failed; nothing was written to the output path."""
