"""Grep every log line, journal row and metrics page of a devnet run for the trading key: absent."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
import trio
from exec_helpers import Harness, exec_config, make_candidate, plant

from appliance.events import TradeStatus
from appliance.metrics import Metrics
from appliance.store.journal import Journal

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(180)]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter("%(name)s %(levelname)s %(message)s").format(record))


async def test_the_key_appears_nowhere(chain, tmp_path, latch, capfd):
    dn, inv, _ = chain
    key_hex = dn.key_file.read_text().strip().removeprefix("0x")
    needles_text = [key_hex.lower(), key_hex.upper(), key_hex[:16].lower(), key_hex[-16:].lower()]
    needle_bytes = bytes.fromhex(key_hex)

    handler = _Lines()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    metrics = Metrics(process=False)
    updates = []
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            h = Harness(exec_config(dn, inv), journal, latch)
            async with trio.open_nursery() as nursery:
                pipe = await h.start(nursery)
                await plant(dn, 2)
                await h.send_order(await make_candidate(dn, 2))  # mined
                await h.until({TradeStatus.SENT})
                await dn.mine()
                await h.until({TradeStatus.MINED})
                stale = await make_candidate(dn, 3, amount_in=10**18)  # no dislocation: dropped
                await h.send_order(stale)
                await h.until({TradeStatus.DROPPED})
                await h.orders_send.aclose()
            updates = h.updates
            logging.getLogger("appliance.test").info("pipeline %r signer %r", pipe, pipe.signer)
        for u in updates:
            metrics.observe(u)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)

    check = subprocess.run(
        [sys.executable, "-m", "appliance", "check-config", "--config", str(dn.config_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    captured = capfd.readouterr()
    texts = {
        "log lines": "\n".join(handler.lines),
        "trade updates": "\n".join(map(repr, updates)),
        "metrics page": metrics.render().decode(),
        "check-config": check.stdout + check.stderr,
        "stdout/stderr": captured.out + captured.err,
        "reprs": repr(pipe) + repr(pipe.signer) + str(pipe.signer) + repr(pipe.cfg),
    }
    assert any(
        line.startswith("appliance.execution") and " mined " in line for line in handler.lines
    )
    assert "arb_trades_total" in texts["metrics page"]
    for where, text in texts.items():
        for needle in needles_text:
            assert needle not in text, f"key material in {where}"
    journal_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("journal.sqlite*"))
    assert len(journal_bytes) > 0
    assert needle_bytes not in journal_bytes
    for needle in needles_text:
        assert needle.encode() not in journal_bytes, "key material in the journal"
