"""Errors of the config package::

ConfigError(UserError)   the file, the key and why; the CLI prints it on one line, exit code 2
"""

from __future__ import annotations

from pathlib import Path

from appliance.errors import UserError

__all__ = ["ConfigError"]


class ConfigError(UserError, ValueError):
    def __init__(self, file: Path | str, key: str, reason: str) -> None:
        self.file = str(file)
        self.key = key
        self.reason = reason
        super().__init__(f"{self.file}: {key}: {reason}")
