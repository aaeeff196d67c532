"""The image file's partition table (sfdisk on a plain file: no root, no loop device)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from imgbuild.errors import BaseImageRefused
from imgbuild.tools import run

__all__ = ["SECTOR", "Partition", "copy_range", "read_table", "resize_partition"]

SECTOR = 512
_CHUNK = 4 << 20


@dataclass(frozen=True)
class Partition:
    node: str  # sfdisk's name for it, e.g. "base.img2"
    start: int  # in sectors
    size: int  # in sectors
    type: str  # MBR type id as sfdisk prints it: "c", "83"

    @property
    def offset(self) -> int:
        return self.start * SECTOR

    @property
    def nbytes(self) -> int:
        return self.size * SECTOR

    @property
    def end(self) -> int:
        return self.start + self.size


def read_table(image: Path) -> tuple[str, list[Partition]]:
    """(label, partitions ordered by start) of ``image``; refuses what sfdisk cannot read."""
    proc = run(["sfdisk", "--json", image], check=False)
    if proc.returncode != 0:
        raise BaseImageRefused(f"{str(image)!r} has no partition table sfdisk can read")
    table = json.loads(proc.stdout)["partitiontable"]
    parts = [
        Partition(
            node=p["node"],
            start=int(p["start"]),
            size=int(p["size"]),
            type=str(p.get("type", "")).lower(),
        )
        for p in table.get("partitions", [])
    ]
    return table.get("label", "?"), sorted(parts, key=lambda p: p.start)


def resize_partition(image: Path, index: int, new_size: int) -> None:
    """Give partition number ``index`` (1-based) ``new_size`` sectors, keeping ids and starts."""
    dump = run(["sfdisk", "--dump", image]).stdout.decode()
    pattern = re.compile(rf"^(\S+?{index}\s*:.*?size=\s*)(\d+)", re.MULTILINE)
    new_dump, count = pattern.subn(lambda m: f"{m.group(1)}{new_size}", dump)
    if count != 1:
        raise BaseImageRefused(
            f"cannot find partition {index} in the sfdisk dump of {str(image)!r}"
        )
    run(["sfdisk", "--no-reread", "--no-tell-kernel", "--quiet", image], input=new_dump.encode())


def copy_range(src: Path, dst: Path, *, src_offset: int, dst_offset: int, length: int) -> None:
    """Copy ``length`` bytes; all-zero chunks are skipped (``dst`` must be zero there: sparse)."""
    with open(src, "rb") as fin, open(dst, "r+b") as fout:
        fin.seek(src_offset)
        done = 0
        zero = bytes(_CHUNK)
        while done < length:
            chunk = fin.read(min(_CHUNK, length - done))
            if not chunk:
                break
            if chunk != zero[: len(chunk)]:
                fout.seek(dst_offset + done)
                fout.write(chunk)
            done += len(chunk)
