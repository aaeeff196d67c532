"""kill -9 right after the log says a paper trade is done loses nothing (issue 23).

A real child process (:mod:`exec_paper_child`: the real store task with 60 s bulk commits and
paper-mode execution wired as the supervisor wires them) logs its paper fill; the parent sends
SIGKILL the moment it reads that line. The journal must hold the fill: the write-ahead through
the store happens before the log line and before anything tells the screen "done".
"""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio
from exec_helpers import make_candidate, plant

from appliance.store.journal import Journal
from appliance.store.schema import JOURNAL_NAME

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(120)]
CHILD = Path(__file__).parent / "exec_paper_child.py"


async def test_sigkill_after_the_paper_log_line_keeps_the_trade(chain, tmp_path):
    dn, inv, _ = chain
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    cand_file = tmp_path / "cand.json"
    cand_file.write_text(json.dumps(dataclasses.asdict(cand)))
    proc = await trio.lowlevel.open_process(
        [sys.executable, str(CHILD), str(dn.config_path), inv, str(tmp_path), str(cand_file)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parent,
    )
    seen = b""
    try:
        with trio.fail_after(60):
            while b"trade paper-1 " not in seen:
                chunk = await proc.stdout.receive_some(4096)
                if not chunk:
                    break
                seen += chunk
        proc.send_signal(signal.SIGKILL)  # at once: the log line said the trade is done
    finally:
        with trio.CancelScope(shield=True):
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
    line = next(ln for ln in seen.decode().splitlines() if "trade paper-1 " in ln)
    assert " paper " in line, seen.decode()[-2000:]
    with Journal(tmp_path / "data" / JOURNAL_NAME) as journal:
        row = journal.trade("paper-1")
    assert row is not None, "the paper fill the log reported was lost to kill -9"
    assert row["status"] == "paper" and int(row["realized_profit"]) == cand.gross_profit
