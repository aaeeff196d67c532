"""SIGUSR1 at every moment of ``arb-appliance run``'s start-up latches EMERGENCY (issue 14.1).

A real process on a devnet; the press is sent at moments picked by what the process shows (its
signal mask, its threads, its state file, its head, READY), plus a spread of instants in between —
never by a timed assertion. Each time the latch file must appear, the press must be logged once,
and the latch must hold for the next start.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import trio

sys.path.insert(0, str(Path(__file__).parent))

from sup_helpers import appliance_config, start_run, status_json

from appliance.safety import SafetyLatch

pytestmark = pytest.mark.devnet

PRESS_LINE = "kill switch pressed (source: sigusr1)"


def _usr1_blocked(pid: int) -> bool:
    """The CLI's first lines for ``run`` ran (``appliance/cli.py``): our program (not the fork before exec, where CPython's
    subprocess blocks every signal) has SIGUSR1 — and only a few signals — blocked."""
    if b"--config" not in Path(f"/proc/{pid}/cmdline").read_bytes():
        return False
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigBlk:"):
            mask = int(line.split()[1], 16)
            return bool(mask >> (signal.SIGUSR1 - 1) & 1) and mask.bit_count() < 8
    return False


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def _status(config: Path) -> dict:
    """``status --json``, or {} while the supervisor cannot answer yet."""
    try:
        return status_json(config)
    except ValueError:
        return {}


async def _poll(predicate, step: float = 0.002) -> None:
    with trio.fail_after(120):  # a hang guard, not a timing assertion
        while not predicate():
            await trio.sleep(step)


class Run:
    def __init__(self, config: Path, log: Path, notify: Path) -> None:
        self.config, self.log = config, log
        env = dict(os.environ, GPIOZERO_PIN_FACTORY="mock", NOTIFY_SOCKET=str(notify))
        env.pop("WATCHDOG_USEC", None)
        with log.open("w") as out:
            self.proc = start_run(config, env, stdout=out, stderr=subprocess.STDOUT)

    async def main_started(self) -> None:
        await _poll(lambda: _usr1_blocked(self.proc.pid))

    async def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        code = await trio.to_thread.run_sync(lambda: self.proc.wait(timeout=60))
        text = self.log.read_text()
        assert code in (0, -signal.SIGTERM), text  # before Trio runs, SIGTERM's default applies
        assert "Traceback" not in text, text
        return text


async def test_a_press_at_any_moment_of_start_up_latches(fresh_devnet, tmp_path: Path) -> None:
    dn = fresh_devnet
    base = (await appliance_config(dn, tmp_path)).read_text()
    notify = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify))
    sock.setblocking(False)

    def ready_seen() -> bool:
        try:
            while True:
                if b"READY=1" in sock.recv(4096):
                    return True
        except BlockingIOError:
            return False

    async def moment(name: str, run: Run) -> None:
        await run.main_started()  # the first line of main ran: from here on nothing is lost
        if name.startswith("+"):
            await trio.sleep(float(name[1:]))  # spread the press over the start-up
        elif name == "threads":
            await _poll(lambda: _threads(run.proc.pid) > 2)  # sigwait + a worker thread
        elif name == "state-file":
            await _poll(lambda: state.exists())
        elif name == "head":
            await _poll(lambda: _status(config).get("head_block") is not None, step=0.05)
        elif name == "ready":
            await _poll(ready_seen, step=0.05)

    moments = ["main", "+0.05", "+0.2", "+0.5", "+1", "+2", "threads", "state-file", "head"]
    moments.append("ready")
    async with trio.open_nursery() as nursery:

        async def mine() -> None:
            while True:
                await dn.mine(1)
                await trio.sleep(0.3)

        nursery.start_soon(mine)
        for i, name in enumerate(moments):
            # fresh directories each time (the risk state remembers EMERGENCY too)
            data, state = tmp_path / f"data-{i}", tmp_path / f"run-{i}" / "state.bin"
            config = tmp_path / f"arb-{i}.toml"
            config.write_text(
                base.replace(str(tmp_path / "data"), str(data)).replace(
                    str(tmp_path / "run"), str(state.parent)
                )
            )
            ready_seen()  # drop old messages
            run = Run(config, tmp_path / f"run-{i}.log", notify)
            try:
                await moment(name, run)
                run.proc.send_signal(signal.SIGUSR1)
                latch_file, log = data / "emergency.latch", run.log
                await _poll(latch_file.exists)
                await _poll(lambda: PRESS_LINE in log.read_text())  # noqa: B023 - logged right after
                text = await run.stop()
            finally:
                if run.proc.poll() is None:
                    run.proc.kill()
                    run.proc.wait()
            latch = SafetyLatch(data)  # what the next start reads
            assert latch.tripped, name
            assert "sigusr1" in str(latch.info["reason"]), (name, latch.info)
            assert text.count(PRESS_LINE) == 1, (name, text)

        # The next start, without any press: EMERGENCY from the latch.
        run = Run(config, tmp_path / "run-restart.log", notify)
        try:
            await _poll(lambda: _status(config).get("mode") == "EMERGENCY", step=0.2)
            await run.stop()
        finally:
            if run.proc.poll() is None:
                run.proc.kill()
                run.proc.wait()
        nursery.cancel_scope.cancel()
    sock.close()
