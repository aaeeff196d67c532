"""Reading the config file defensively: it may be anything the operator (or an attacker) points at.

A regular file of at most :data:`MAX_CONFIG_BYTES` is read; a FIFO, a device (``/dev/zero`` would
be read forever, gigabytes a second), a directory, a symlink loop or an oversized file is one
:class:`ConfigError`. The file is opened with ``O_NONBLOCK`` so a FIFO without a writer cannot
hang the open, then checked with ``fstat`` on the descriptor it is read from (no race with a
rename between check and read).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from appliance.config.errors import ConfigError

__all__ = ["MAX_CONFIG_BYTES", "read_config_bytes"]

MAX_CONFIG_BYTES = 1 << 20  # 1 MiB: a real config is a few KB


def read_config_bytes(path: Path, *, limit: int = MAX_CONFIG_BYTES) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "no such file") from None
    except IsADirectoryError:
        raise ConfigError(path, "(file)", "is a directory, not a TOML file") from None
    except PermissionError:
        raise ConfigError(path, "(file)", "permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(path, "(file)", "is a symlink loop") from None
        raise ConfigError(path, "(file)", f"cannot be opened ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ConfigError(path, "(file)", "is a directory, not a TOML file")
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(
                path,
                "(file)",
                f"is not a regular file (a {_kind(st.st_mode)}); refusing to read it",
            )
        if st.st_size > limit:
            raise ConfigError(
                path, "(file)", f"is {st.st_size} bytes; a config file is at most {limit} bytes"
            )
        chunks, size = [], 0
        while size <= limit:  # the size may change under us: never read past the cap
            try:
                chunk = os.read(fd, limit + 1 - size)
            except OSError as exc:
                raise ConfigError(path, "(file)", f"cannot be read ({exc.strerror})") from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise ConfigError(path, "(file)", f"is larger than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"
