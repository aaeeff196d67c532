"""One Anvil process on loopback: free port, own process group, dies with its parent.

Why the care: tests and the demo start many Anvil nodes on a shared 2-core box. A node must
never outlive the Python process that started it (``PR_SET_PDEATHSIG``), must be killable as a
group, and must report *why* it died (its last stderr line) instead of a connection error.

``PR_SET_PDEATHSIG`` fires when the *thread* that forked exits, so start nodes from a
long-lived thread (the main thread, or a Trio loop's thread), never from a short worker thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import httpx
import trio

from appliance.devnet._tools import anvil_binary
from appliance.devnet.errors import AnvilFailed, DevnetError, PortBusy

__all__ = ["CHAIN_ID", "AnvilNode"]

CHAIN_ID = 31337
_PR_SET_PDEATHSIG = 1
_BUSY = "Address already in use"
_PORT_ATTEMPTS = 5


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:``port`` (a bind test; SO_REUSEADDR ignores TIME_WAIT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the caller retries if it is taken)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AnvilNode:
    """An Anvil process. Use as a context manager, or call :meth:`start` and :meth:`stop`.

    Args:
        port: a fixed port (a busy one raises :class:`PortBusy`); default: a free one, retried.
        block_time: seconds between blocks (interval mining); ``None`` with ``no_mining=False``
            is Anvil's automine (a block per transaction).
        no_mining: start with mining off; blocks come only from ``evm_mine``.
        extra_args: more Anvil flags.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        block_time: float | None = None,
        no_mining: bool = False,
        chain_id: int = CHAIN_ID,
        extra_args: tuple[str, ...] = (),
        startup_timeout: float = 30.0,
    ) -> None:
        self.chain_id = chain_id
        self.block_time = block_time
        self.no_mining = no_mining
        self._fixed_port = port
        self._extra = tuple(extra_args)
        self._timeout = startup_timeout
        self.port: int = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr_path: Path | None = None
        self._last_line = ""

    # ------------------------------------------------------------------ properties
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"AnvilNode(url={self.url!r}, pid={self.pid}, {state})"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> AnvilNode:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def start(self) -> AnvilNode:
        """Start Anvil and wait until it answers ``eth_chainId``. Must not run inside Trio."""
        try:
            trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass
        else:
            raise DevnetError(
                "AnvilNode.start() called inside Trio: use `await node.start_async()`"
            )
        self._spawn_with_retry(lambda: trio.run(self._wait_ready))
        return self

    async def start_async(self) -> AnvilNode:
        """:meth:`start` for callers already inside a Trio loop."""
        for attempt in range(1 if self._fixed_port else _PORT_ATTEMPTS):
            try:
                self._spawn()
                await self._wait_ready()
                return self
            except PortBusy:
                if self._fixed_port or attempt == _PORT_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _spawn_with_retry(self, wait) -> None:
        for attempt in range(1 if self._fixed_port else _PORT_ATTEMPTS):
            try:
                self._spawn()
                wait()
                return
            except PortBusy:
                if self._fixed_port or attempt == _PORT_ATTEMPTS - 1:
                    raise

    def _command(self) -> list[str]:
        cmd = [
            str(anvil_binary()),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--silent",
        ]
        if self.block_time is not None:
            cmd += ["--block-time", f"{self.block_time:g}"]
        if self.no_mining:
            cmd.append("--no-mining")
        return cmd + list(self._extra)

    def _spawn(self) -> None:
        self.stop()
        self._last_line = ""
        self.port = self._fixed_port or free_port()
        if not port_is_free(self.port):
            # checked first: otherwise the readiness probe could reach whoever holds the port
            raise PortBusy(
                f"port {self.port} is busy: another process listens on 127.0.0.1:{self.port}"
            )
        cmd = self._command()
        fd, name = tempfile.mkstemp(prefix="anvil-", suffix=".stderr")
        self._stderr_path = Path(name)
        try:
            self.process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=fd,
                start_new_session=True,  # its own process group: stop() kills the group
                preexec_fn=_die_with_parent,
                close_fds=True,
            )
        except OSError as exc:
            raise AnvilFailed(f"cannot start anvil {cmd[0]!r}: {exc.strerror or exc}") from None
        finally:
            os.close(fd)

    async def _wait_ready(self) -> None:
        assert self.process is not None
        payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        deadline = trio.current_time() + self._timeout
        async with httpx.AsyncClient(timeout=2.0, verify=False) as client:  # loopback HTTP
            while True:
                code = self.process.poll()
                if code is not None:
                    self._raise_exited(code)
                try:
                    answer = (await client.post(self.url, json=payload)).json()
                    if int(answer["result"], 16) == self.chain_id:
                        if self.process.poll() is None:
                            return
                        continue  # someone else answered on our port; the exit is reported above
                    raise AnvilFailed(
                        f"anvil at {self.url} answered chain id {answer['result']!r}, expected {self.chain_id}"
                    )
                except (httpx.TransportError, ValueError, KeyError):
                    pass
                if trio.current_time() > deadline:
                    self.stop()
                    raise AnvilFailed(
                        f"anvil at {self.url} did not answer within {self._timeout:g} s"
                    )
                await trio.sleep(0.02)

    def _raise_exited(self, code: int) -> None:
        line = self.last_stderr_line()
        self.stop()
        if _BUSY in line:
            raise PortBusy(f"port {self.port} is busy: {line}")
        raise AnvilFailed(f"anvil exited with code {code}: {line or '(no output)'}")

    def last_stderr_line(self) -> str:
        """Anvil's last ``error:`` line on stderr, else its last non-empty line (``""`` if none)."""
        if self._stderr_path is None:
            return self._last_line
        try:
            text = self._stderr_path.read_text(errors="replace")
        except OSError:
            return self._last_line
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.lower().startswith("error")]
        return (errors or lines or [""])[-1]

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the process group, wait, then kill it; drop the stderr capture. Idempotent.

        :meth:`last_stderr_line` still answers afterwards (the line is kept in memory).
        """
        proc = self.process
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        elif proc is not None:
            proc.wait()
        if self._stderr_path is not None:
            self._last_line = self.last_stderr_line()
            with contextlib.suppress(OSError):
                self._stderr_path.unlink()
            self._stderr_path = None

    def cleanup(self) -> None:
        """Same as :meth:`stop` (kept for callers that use the name)."""
        self.stop()

    def wait_exit(self, timeout: float | None = None) -> int | None:
        """Block until Anvil exits (``None`` if still running after ``timeout``)."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
