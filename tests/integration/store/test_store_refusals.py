"""Damaged storage at start: ``arb-appliance run`` / ``status`` / ``check-config`` as real processes.

Each case used to start anyway (an emptied journal silently replaced), print a traceback (random
bytes in journal pages, a data_dir that is a file or lies under /proc), or die of SIGBUS with no
message (a full runtime tmpfs: the sparse state file faulted on its first write). Now each is one
line on stderr naming the culprit, exit code 2, before any network I/O: the config's RPC endpoint
is a closed local port, so a run that gets past the storage checks fails on the network instead
("no healthy RPC endpoint"), which is how the tests see that a repaired journal is accepted.

Full file systems are real tmpfs mounts (``mount -t tmpfs -o size=64k``), so these tests need
root; they are skipped with the reason otherwise.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from full_disk import fill, small_tmpfs

from appliance.events import BlockSeen, TradeStatus, TradeUpdated
from appliance.modes import Mode
from appliance.store.journal import Journal

ARB = str(Path(sys.executable).with_name("arb-appliance"))
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"

CONFIG = """
[chain]
chain_id = 31337
rpc = ["http://127.0.0.1:9"]

[[dex]]
name = "uni"
factory = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"

[tokens]
base = ["{weth}"]

[account]
executor = "{weth}"

[hardware]
enabled = false

[metrics]
enabled = false

[storage]
data_dir = "{data}"
runtime_dir = "{run}"
"""


def write_config(tmp: Path, data: Path | str, run: Path | str) -> Path:
    path = tmp / "arb-appliance.toml"
    path.write_text(CONFIG.format(weth=WETH, data=data, run=run))
    return path


def arb(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ARB, *argv], capture_output=True, text=True, timeout=timeout)


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The process's stderr, asserted to be exactly one line and no traceback."""
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]


def past_storage(proc: subprocess.CompletedProcess[str]) -> bool:
    """The run got beyond the storage checks and failed on the (closed) RPC port instead."""
    return "no healthy RPC endpoint" in proc.stderr


def make_journal(path: Path, trades: int = 40, blocks: int = 3000) -> None:
    """A real journal: blocks (many pages) and paper trades."""
    with Journal(path) as j, j.transaction():
        j.add_blocks(
            (BlockSeen(n, f"0x{n:064x}", f"0x{n - 1:064x}", 1_700_000_000 + n, 10**9), 0.0)
            for n in range(1, blocks + 1)
        )
        for i in range(trades):
            j.upsert_trade(
                TradeUpdated(
                    f"order-{i}",
                    TradeStatus.PAPER,
                    Mode.NORMAL,
                    amount_in=10**18,
                    expected_profit=10**15,
                )
            )


def scribble(path: Path, *, seed: int = 7, first_page: int = 2) -> None:
    """Random bytes over every page from ``first_page`` on (page 1, the header, stays)."""
    data = bytearray(path.read_bytes())
    rng = random.Random(seed)
    for page in range(first_page, len(data) // 4096):
        for _ in range(64):
            data[page * 4096 + rng.randrange(4096)] = rng.randrange(256)
    path.write_bytes(bytes(data))


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs, filled to the last byte; unmounted in teardown."""
    with small_tmpfs(tmp_path / "small", "64k") as where:
        fill(where / "filler")
        yield where


def test_emptied_journal_is_refused_until_moved_aside(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "journal.sqlite").write_bytes(b"")
    cfg = write_config(tmp_path, data, tmp_path / "run")

    run = arb("run", "--config", str(cfg))
    assert run.returncode == 2
    line = one_line(run)
    assert str(data / "journal.sqlite") in line and "empty (0 bytes)" in line
    assert "arb-appliance journal fresh" in line
    assert (data / "journal.sqlite").stat().st_size == 0  # not replaced behind our back

    fresh = arb("journal", "fresh", "--config", str(cfg))
    assert fresh.returncode == 0, fresh.stderr
    kept = [p for p in data.iterdir() if p.name.startswith("journal.sqlite.old-")]
    assert len(kept) == 1 and kept[0].stat().st_size == 0
    assert past_storage(arb("run", "--config", str(cfg)))


def test_random_bytes_in_journal_pages_are_one_line_then_recovered(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    journal = data / "journal.sqlite"
    make_journal(journal)
    scribble(journal, first_page=3)
    damaged_bytes = journal.read_bytes()
    cfg = write_config(tmp_path, data, tmp_path / "run")

    for argv in (("run",), ("status",), ("status", "--json"), ("journal", "check")):
        proc = arb(*argv, "--config", str(cfg))
        assert proc.returncode == 2, (argv, proc.stderr)
        line = one_line(proc)
        assert "journal damaged" in line and str(journal) in line, (argv, line)
        assert "see README: recovering the journal" in line

    recover = arb("journal", "recover", "--no-sqlite3", "--config", str(cfg))
    assert recover.returncode == 0, recover.stderr
    assert "damaged file kept as" in recover.stdout
    (kept,) = [
        p
        for p in data.iterdir()
        if p.name.startswith("journal.sqlite.damaged-") and not p.name.endswith(("-wal", "-shm"))
    ]
    assert kept.read_bytes() == damaged_bytes  # the old file is kept as it was
    assert arb("journal", "check", "--config", str(cfg)).returncode == 0
    assert past_storage(arb("run", "--config", str(cfg)))  # the recovered journal is accepted


def test_integrity_check_at_start_catches_an_index_that_disagrees(tmp_path: Path) -> None:
    """Every b-tree well formed, one index entry's value changed ("paper" -> "papes" in a leaf
    page of ``trades_status``): opening and queries work (and count wrongly), only ``integrity_check`` sees it."""
    data = tmp_path / "data"
    data.mkdir()
    journal = data / "journal.sqlite"
    make_journal(journal, trades=400, blocks=10)
    raw = bytearray(journal.read_bytes())
    size = int.from_bytes(raw[16:18], "big")  # the journal's page size (1 KiB for a new one)
    for start in range(size, len(raw), size):
        page = raw[start : start + size]
        if page[0] == 0x0A and b"paper" in page:  # a leaf index page: trades_status
            at = start + page.index(b"paper")
            raw[at : at + 5] = b"papes"
            break
    else:
        raise AssertionError("no trades_status leaf page found")
    journal.write_bytes(bytes(raw))
    with Journal(journal) as j:  # still opens and answers queries
        assert j.trade_counts()["paper"] < 400  # the index answers wrongly, silently
        assert j.integrity_check() != "ok"
    cfg = write_config(tmp_path, data, tmp_path / "run")
    run = arb("run", "--config", str(cfg))
    assert run.returncode == 2
    line = one_line(run)
    assert "journal damaged" in line and "integrity_check" in line


def test_full_data_dir_at_start(tmp_path: Path, tmpfs: Path) -> None:
    cfg = write_config(tmp_path, tmpfs, tmp_path / "run")
    run = arb("run", "--config", str(cfg))
    assert run.returncode == 2
    line = one_line(run)
    assert "storage.data_dir" in line and "full" in line and str(tmpfs) in line


def test_full_runtime_tmpfs_at_start(tmp_path: Path, tmpfs: Path) -> None:
    cfg = write_config(tmp_path, tmp_path / "data", tmpfs)
    run = arb("run", "--config", str(cfg))
    assert run.returncode == 2, run.returncode  # was -7: SIGBUS on the sparse state file
    line = one_line(run)
    assert "storage.runtime_dir" in line and "full" in line and str(tmpfs) in line


def test_state_file_on_a_full_tmpfs_is_an_error_not_sigbus(tmpfs: Path) -> None:
    """The state writer alone, in its own process (a SIGBUS would kill pytest itself)."""
    code = (
        "import sys\n"
        "from appliance.store.statefile import StateWriter\n"
        "from appliance.store.errors import StateFileFull\n"
        "try:\n"
        f"    StateWriter({str(tmpfs / 'state.bin')!r}, capacity=4096)\n"
        "except StateFileFull as exc:\n"
        "    print(exc); sys.exit(0)\n"
        "sys.exit(1)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    assert "runtime_dir is full" in proc.stdout
    assert not [p for p in tmpfs.iterdir() if p.name.endswith(".tmp")]  # no half file left


@pytest.mark.parametrize(
    ("key", "where", "reason"),
    [
        ("data_dir", "afile", "is a file, not a directory"),
        ("runtime_dir", "afile", "is a file, not a directory"),
        ("data_dir", "afile/sub", "cannot be created"),
        ("data_dir", "/proc/arb-appliance", "lies under /proc"),
        ("runtime_dir", "/proc/self/arb", "lies under /proc"),
    ],
)
def test_unusable_storage_dirs(tmp_path: Path, key: str, where: str, reason: str) -> None:
    (tmp_path / "afile").write_text("not a directory")
    target = where if where.startswith("/") else str(tmp_path / where)
    dirs = {"data_dir": tmp_path / "data", "runtime_dir": tmp_path / "run", key: target}
    cfg = write_config(tmp_path, dirs["data_dir"], dirs["runtime_dir"])
    for command in ("run", "check-config"):
        proc = arb(command, "--config", str(cfg))
        assert proc.returncode == 2, (command, proc.stderr)
        line = one_line(proc)
        assert f"storage.{key}" in line and reason in line, (command, line)
    assert not Path(target).exists() or Path(target).is_file()


def test_recover_refuses_while_the_supervisor_runs(tmp_path: Path) -> None:
    """A live writer of the state file (this process) stands for a running supervisor."""
    from appliance.store.statefile import LiveState, StateWriter

    data, run = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    make_journal(data / "journal.sqlite", trades=1, blocks=1)
    cfg = write_config(tmp_path, data, run)
    with StateWriter(run / "state.bin") as writer:
        writer.publish(LiveState(pid=os.getpid()))
        for action in ("recover", "fresh"):
            proc = arb("journal", action, "--config", str(cfg))
            assert proc.returncode == 2
            assert f"pid {os.getpid()}" in one_line(proc)
    assert (data / "journal.sqlite").exists()
    shutil.rmtree(run)
