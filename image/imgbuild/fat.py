"""The FAT boot partition in a plain file, read and written with mtools (no mount, no root)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from imgbuild.tools import MTOOLS_ENV, run

__all__ = ["Fat"]


class Fat:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def readable(self) -> bool:
        return (
            run(["mdir", "-i", self.path, "-b", "::/"], env=MTOOLS_ENV, check=False).returncode == 0
        )

    def names(self) -> list[str]:
        out = run(["mdir", "-i", self.path, "-b", "::/"], env=MTOOLS_ENV).stdout.decode(
            errors="replace"
        )
        return [line.rsplit("/", 1)[-1] for line in out.splitlines() if line.strip()]

    def read(self, name: str) -> bytes | None:
        proc = run(["mtype", "-i", self.path, f"::/{name}"], env=MTOOLS_ENV, check=False)
        return proc.stdout if proc.returncode == 0 else None

    def write(self, name: str, data: bytes) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / name
            src.write_bytes(data)
            run(["mcopy", "-o", "-i", self.path, src, f"::/{name}"], env=MTOOLS_ENV)
