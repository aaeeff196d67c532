"""Checks of ``storage.data_dir`` and ``storage.runtime_dir`` as places on this machine.

Shared by ``check-config`` (``create=False``: says what ``run`` would hit, creates nothing) and
``run``'s start-up checks (``create=True``: makes the directories). Refused, as one
:class:`ConfigError` naming the key: a path that is a file or lies under one, a path under
``/proc``, ``/sys`` or ``/dev`` (kernel file systems: writes there are not storage), a directory
that cannot be created or is not writable by the running user.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from appliance.config.errors import ConfigError

__all__ = ["KERNEL_FS", "check_storage_dirs"]

KERNEL_FS = (Path("/proc"), Path("/sys"), Path("/dev"))


def check_storage_dirs(cfg: Any, *, create: bool = False) -> None:
    """Raise :class:`ConfigError` for the first unusable storage directory of ``cfg``."""
    storage = getattr(cfg, "storage", cfg)
    where = getattr(cfg, "path", None) or "(config)"
    for key, path in (
        ("storage.data_dir", Path(storage.data_dir)),
        ("storage.runtime_dir", Path(storage.runtime_dir)),
    ):
        check_dir(path, where, key, create=create)


def check_dir(path: Path, where: Path | str, key: str, *, create: bool = False) -> None:
    shown = repr(str(path))
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ConfigError(where, key, f"{shown} cannot be resolved ({exc})") from None
    for kernel in KERNEL_FS:
        if real == kernel or kernel in real.parents:
            raise ConfigError(
                where, key, f"{shown} lies under {kernel} (a kernel file system, not storage)"
            )
    if real.exists():
        if not real.is_dir():
            raise ConfigError(where, key, f"{shown} is a file, not a directory")
    else:
        ancestor = next(p for p in real.parents if p.exists())
        if not ancestor.is_dir():
            raise ConfigError(where, key, f"{shown} cannot be created: {str(ancestor)!r} is a file")
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise ConfigError(
                where,
                key,
                f"{shown} cannot be created: {str(ancestor)!r} is not writable by uid {os.geteuid()}",
            )
        if not create:
            return
        try:
            real.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(where, key, f"{shown} cannot be created ({exc.strerror})") from None
    if not os.access(real, os.W_OK | os.X_OK):
        raise ConfigError(where, key, f"{shown} is not writable by uid {os.geteuid()}")
