"""The key file's checks, shared by ``check-config`` and the signer (pure: no eth-account).

``check-config`` must refuse exactly what ``run`` refuses, so both call :func:`read_private_key`:
the file's mode and owner, then its content (one line, 0x + 64 hex digits, a scalar in
``1 .. n-1`` of secp256k1). No message quotes the content: a malformed key is described by its
length and shape only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from appliance.config.errors import ConfigError

__all__ = ["SECP256K1_N", "check_key_file", "read_private_key"]

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MAX_KEY_FILE_BYTES = 4096  # one line of 66 characters; anything far bigger is not a key file
_HEX = frozenset("0123456789abcdefABCDEF")


def _check_mode(key_file: Path, where: Path, key: str) -> None:
    try:
        st = key_file.stat()
    except FileNotFoundError:
        raise ConfigError(where, key, f"key file {str(key_file)!r} does not exist") from None
    except PermissionError:
        raise ConfigError(where, key, f"key file {str(key_file)!r} is not readable") from None
    except OSError as exc:
        raise ConfigError(
            where, key, f"key file {str(key_file)!r} cannot be read ({exc.strerror})"
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(where, key, f"key file {str(key_file)!r} is not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise ConfigError(
            where,
            key,
            f"key file {str(key_file)!r} has mode {mode:04o}; it must be 0600 (chmod 600)",
        )
    if st.st_uid != os.geteuid():
        raise ConfigError(
            where,
            key,
            f"key file {str(key_file)!r} is owned by uid {st.st_uid}, not by the running user (uid {os.geteuid()})",
        )


def read_private_key(key_file: Path, where: Path, *, key: str = "account.key_file") -> str:
    """Check the key file and return its key as ``0x`` + 64 lowercase hex digits.

    Raises :class:`ConfigError` (file, key, reason) for a missing, unsafe or malformed file.
    """
    _check_mode(key_file, where, key)
    name = repr(str(key_file))
    try:
        with open(key_file, "rb") as f:
            raw = f.read(MAX_KEY_FILE_BYTES + 1)
        text = raw.decode("ascii")
    except (OSError, UnicodeDecodeError):
        raise ConfigError(where, key, f"key file {name} is not readable ASCII text") from None
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise ConfigError(where, key, f"key file {name} is larger than {MAX_KEY_FILE_BYTES} bytes")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise ConfigError(
            where, key, f"key file {name} must hold exactly one line, found {len(lines)}"
        )
    body = lines[0].removeprefix("0x").removeprefix("0X")
    if len(body) != 64 or not set(body) <= _HEX:
        raise ConfigError(
            where,
            key,
            f"key file {name} must hold a 0x-prefixed 64-digit hex key "
            f"(found {len(lines[0])} characters{'' if set(body) <= _HEX else ', not all hex'})",
        )
    if not 0 < int(body, 16) < SECP256K1_N:
        raise ConfigError(where, key, f"key file {name} does not hold a valid secp256k1 key")
    return "0x" + body.lower()


def check_key_file(key_file: Path, where: Path, *, key: str = "account.key_file") -> None:
    """The key file must be safe (0600, ours, regular) and hold a valid key; see above."""
    read_private_key(key_file, where, key=key)
