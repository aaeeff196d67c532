"""The live state file: a fixed binary layout in ``<runtime_dir>/state.bin``, shared by mmap.

Why a file and not a socket: the status screen and ``arb-appliance status`` must never be able to
slow down or block the supervisor. The store task is the only writer; it rewrites the file in place
under a *seqlock*: it makes the sequence counter odd, writes, then makes it even again. Readers copy
the bytes, and retry when the counter was odd or changed while they copied, so they never take a
lock and never block the writer. Each half of the snapshot also carries a CRC-32, checked by the
reader, as a second guard (and as the witness of the torn-read test).

Layout (little-endian, version 2: version 1 plus each endpoint's reason)::

    offset  size  field
    0       8     magic b"ARBSTATE"
    8       2     layout version (2)
    10      1     superseded: 1 once a newer file replaced this one (readers reopen the path)
    11      1     reserved
    12      4     capacity: slots in the price array
    16      8     seq: the seqlock counter (odd = being written)
    24      4     crc32 of the payload
    28      4     crc32 of the first ``pool_count`` prices
    32      ...   payload (:data:`PAYLOAD`, see ``_FIELDS``)
    PRICES_OFFSET capacity x float64: latest price of pool ``i`` (the journal's pool ``id == i + 1``),
                  token0 priced in token1, adjusted for decimals; NaN when unknown

Price slot ``i`` belongs to the pool whose ``pools.id`` in the journal is ``i + 1``.
Wei amounts (P&L) are 16-byte signed little-endian integers: exact, never floats.
Texts are UTF-8, cut to their field at a character boundary; an endpoint's reason (why it is not
healthy: stale head, head from the future, transport errors...) is made credential-free by the
writer's caller (URLs redacted) and cut to :data:`REASON_LEN` bytes.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import struct
import time
import zlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from appliance.modes import Mode
from appliance.store.errors import StateFileError, StateFileFull

__all__ = [
    "LED_STATES",
    "MAX_BREAKERS",
    "MAX_RPC",
    "REASON_LEN",
    "STATE_FILE_NAME",
    "LiveState",
    "RpcSlot",
    "StateReader",
    "StateSnapshot",
    "StateWriter",
]

STATE_FILE_NAME = "state.bin"
MAGIC = b"ARBSTATE"
VERSION = 2
MAX_BREAKERS = 8
MAX_RPC = 4
HOST_LEN = 40
BREAKER_NAME_LEN = 23
ALERT_LEN = 96
REASON_LEN = 80

LED_STATES = ("off", "on", "slow", "fast")
BREAKER_STATES = ("closed", "half-open", "open")
REGIMES = ("low", "medium", "high")
TRADE_STATUSES = ("signed", "sent", "mined", "reverted", "dropped", "paper")
STREAM_STATES = ("", "live", "down")  # an endpoint's subscription: none, live, down

PREFIX = struct.Struct("<8sHBBI")  # magic, version, superseded, reserved, capacity
SEQ = struct.Struct("<Q")
CRCS = struct.Struct("<II")
SEQ_OFFSET = 16
CRC_OFFSET = 24
PAYLOAD_OFFSET = 32

_FIELDS = [
    ("mode", "b"),  # Mode value, -1 unknown
    ("kill_switch", "B"),
    ("led_green", "B"),
    ("led_yellow", "B"),
    ("led_red", "B"),
    ("regime", "B"),
    ("live", "B"),
    ("last_alert_priority", "b"),
    ("pid", "i"),
    ("head_block", "q"),  # -1 none
    ("head_timestamp", "d"),
    ("head_seen_at", "d"),
    ("updated_at", "d"),
    ("started_at", "d"),
    ("opportunities", "Q"),
    ("approved", "Q"),
    ("rejected", "Q"),
    *((f"trades_{s}", "Q") for s in TRADE_STATUSES),
    ("pnl_today", "16s"),
    ("pnl_session", "16s"),
    ("equity_peak", "16s"),
    ("var95", "d"),
    ("cvar95", "d"),
    ("var99", "d"),
    ("cvar99", "d"),
    ("size_multiplier", "d"),
    ("cpu_pct", "d"),
    ("rss_bytes", "Q"),
    ("temp_c", "d"),
    ("last_alert_at", "d"),
    ("last_alert", f"{ALERT_LEN}s"),
    ("n_pools", "I"),
    ("n_tokens", "I"),
    ("n_denied", "I"),
    ("pool_count", "I"),
    ("n_breakers", "B"),
    ("n_rpc", "B"),
    ("reserved", "2s"),
    *(
        item
        for i in range(MAX_BREAKERS)
        for item in ((f"breaker{i}_name", f"{BREAKER_NAME_LEN}s"), (f"breaker{i}_state", "B"))
    ),
    *(
        item
        for i in range(MAX_RPC)
        for item in (
            (f"rpc{i}_host", f"{HOST_LEN}s"),
            (f"rpc{i}_healthy", "B"),
            (f"rpc{i}_lagging", "B"),
            (f"rpc{i}_breaker", "B"),
            (f"rpc{i}_stream", "B"),  # STREAM_STATES (was a reserved byte: 0 = no stream)
            (f"rpc{i}_latency_ms", "f"),
            (f"rpc{i}_head", "q"),  # -1 unknown
        )
    ),
    *((f"rpc{i}_reason", f"{REASON_LEN}s") for i in range(MAX_RPC)),  # version 2
]
FIELD_NAMES = tuple(name for name, _ in _FIELDS)
PAYLOAD = struct.Struct("<" + "".join(fmt for _, fmt in _FIELDS))
_INDEX = {name: i for i, name in enumerate(FIELD_NAMES)}
PRICES_OFFSET = (PAYLOAD_OFFSET + PAYLOAD.size + 7) // 8 * 8
_POOL_COUNT = _INDEX["pool_count"]
_BREAKER_AT = tuple(
    (_INDEX[f"breaker{i}_name"], _INDEX[f"breaker{i}_state"]) for i in range(MAX_BREAKERS)
)
_RPC_AT = tuple(
    tuple(
        _INDEX[f"rpc{i}_{k}"]
        for k in (
            "host",
            "healthy",
            "latency_ms",
            "lagging",
            "breaker",
            "head",
            "stream",
            "reason",
        )
    )
    for i in range(MAX_RPC)
)


def file_size(capacity: int) -> int:
    return PRICES_OFFSET + 8 * capacity


def _wei(value: int) -> bytes:
    return int(value).to_bytes(16, "little", signed=True)


def _unwei(raw: bytes) -> int:
    return int.from_bytes(raw, "little", signed=True)


def _clip(text: str, size: int) -> bytes:
    """``text`` as UTF-8, at most ``size`` bytes, never cut inside a character."""
    return text.encode()[:size].decode("utf-8", "ignore").encode()


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _code(table: tuple[str, ...], value: str) -> int:
    try:
        return table.index(value)
    except ValueError:
        return 255


def _name(table: tuple[str, ...], code: int) -> str:
    return table[code] if code < len(table) else "unknown"


# ------------------------------------------------------------------------------------ write side
@dataclass
class LiveState:
    """What the writer publishes; mutable, owned by the store task only."""

    mode: Mode | None = None
    kill_switch: bool = False
    leds: dict[str, str] = field(
        default_factory=lambda: {"green": "off", "yellow": "on", "red": "off"}
    )
    live: bool = False
    pid: int = field(default_factory=os.getpid)
    head_block: int | None = None
    head_timestamp: float = 0.0
    head_seen_at: float = 0.0
    started_at: float = field(default_factory=time.time)
    opportunities: int = 0
    approved: int = 0
    rejected: int = 0
    trades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TRADE_STATUSES, 0))
    pnl_today: int = 0
    pnl_session: int = 0
    equity_peak: int = 0
    breakers: dict[str, str] = field(default_factory=dict)
    rpc: list[RpcSlot] = field(default_factory=list)
    var95: float = 0.0
    cvar95: float = 0.0
    var99: float = 0.0
    cvar99: float = 0.0
    size_multiplier: float = 1.0
    regime: str = "low"
    cpu_pct: float = float("nan")
    rss_bytes: int = 0
    temp_c: float = float("nan")
    last_alert_at: float = 0.0
    last_alert_priority: int = -1
    last_alert: str = ""
    n_pools: int = 0
    n_tokens: int = 0
    n_denied: int = 0

    def pack(self, pool_count: int, now: float) -> bytes:
        values: list[object] = [
            -1 if self.mode is None else int(self.mode),
            int(self.kill_switch),
            _code(LED_STATES, self.leds.get("green", "off")),
            _code(LED_STATES, self.leds.get("yellow", "off")),
            _code(LED_STATES, self.leds.get("red", "off")),
            _code(REGIMES, self.regime),
            int(self.live),
            self.last_alert_priority,
            self.pid,
            -1 if self.head_block is None else self.head_block,
            float(self.head_timestamp),
            self.head_seen_at,
            now,
            self.started_at,
            self.opportunities,
            self.approved,
            self.rejected,
            *(self.trades.get(s, 0) for s in TRADE_STATUSES),
            _wei(self.pnl_today),
            _wei(self.pnl_session),
            _wei(self.equity_peak),
            self.var95,
            self.cvar95,
            self.var99,
            self.cvar99,
            self.size_multiplier,
            self.cpu_pct,
            self.rss_bytes,
            self.temp_c,
            self.last_alert_at,
            _clip(self.last_alert, ALERT_LEN),
            self.n_pools,
            self.n_tokens,
            self.n_denied,
            pool_count,
        ]
        breakers = list(self.breakers.items())[:MAX_BREAKERS]
        rpc = self.rpc[:MAX_RPC]
        values += [len(breakers), len(rpc), b""]
        for i in range(MAX_BREAKERS):
            name, state = breakers[i] if i < len(breakers) else ("", "closed")
            values += [name.encode()[:BREAKER_NAME_LEN], _code(BREAKER_STATES, state)]
        slots = [rpc[i] if i < len(rpc) else RpcSlot("", False, 0.0) for i in range(MAX_RPC)]
        for slot in slots:
            values += [
                _clip(slot.host, HOST_LEN),
                int(slot.healthy),
                int(slot.lagging),
                _code(BREAKER_STATES, slot.breaker),
                _code(STREAM_STATES, slot.stream),
                slot.latency_ms,
                -1 if slot.head is None else slot.head,
            ]
        values += [_clip(slot.reason, REASON_LEN) for slot in slots]
        return PAYLOAD.pack(*values)


class StateWriter:
    """The single writer of the state file. Not thread-safe: one owner (the store task).

    A new writer replaces any file at ``path`` (atomic rename) and flags the old one as
    superseded, so readers still mapping it reopen the path.
    """

    def __init__(self, path: Path | str, capacity: int = 1024) -> None:
        self.path = Path(path)
        self.prices = array("d")  # published prefix: slot i -> price of pool id i + 1
        self._mm: mmap.mmap | None = None
        self._fd = -1
        self._seq = 0
        self.grow_failed: str | None = None  # why the file could not grow (runtime_dir full)
        self._create(max(16, int(capacity)), LiveState().pack(0, time.time()), b"")

    @property
    def capacity(self) -> int:
        return self._capacity

    def _create(self, capacity: int, payload: bytes, prices: memoryview | bytes) -> None:
        """Write a complete, consistent file beside the path, then rename it into place."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        size = file_size(capacity)
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as exc:
            raise StateFileError(f"cannot create state file {str(tmp)!r}: {exc.strerror}") from None
        try:
            # Allocate every page now: a sparse file on a full tmpfs faults (SIGBUS) on first write.
            _allocate(fd, size)
            mm = mmap.mmap(fd, size)
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StateFileFull(
                    f"storage.runtime_dir is full: no room for the state file {str(self.path)!r} "
                    f"({size} bytes)"
                ) from None
            raise StateFileError(f"cannot create state file {str(tmp)!r}: {exc.strerror}") from None
        mm[0 : PREFIX.size] = PREFIX.pack(MAGIC, VERSION, 0, 0, capacity)
        mm[PAYLOAD_OFFSET : PAYLOAD_OFFSET + PAYLOAD.size] = payload
        mm[PRICES_OFFSET : PRICES_OFFSET + len(prices)] = prices
        CRCS.pack_into(mm, CRC_OFFSET, zlib.crc32(payload), zlib.crc32(prices))
        self._seq += 2
        SEQ.pack_into(mm, SEQ_OFFSET, self._seq)
        old = self._mm
        if old is None:
            _mark_superseded(self.path)  # a file left by an earlier writer
        os.replace(tmp, self.path)
        if old is not None:
            old[10] = 1  # readers of the old mapping reopen the path
            old.close()
            os.close(self._fd)
        self._mm, self._fd, self._capacity = mm, fd, capacity

    def publish(self, state: LiveState, *, now: float | None = None) -> None:
        """Write ``state`` and ``self.prices`` under the seqlock (a bigger file when they grew)."""
        mm = self._mm
        if mm is None:
            raise StateFileError(f"state file {str(self.path)!r} is closed")
        count = len(self.prices)
        payload = state.pack(count, time.time() if now is None else now)
        prices = memoryview(self.prices).cast("B")
        if count > self._capacity and not self.grow_failed:
            capacity = self._capacity
            while capacity < count:
                capacity *= 2
            try:
                self._create(capacity, payload, prices)
                return
            except StateFileError as exc:  # keep the file we have: show the prices that fit
                self.grow_failed = str(exc)
        if count > self._capacity:
            count = self._capacity
            payload = state.pack(count, time.time() if now is None else now)
            prices = prices[: 8 * count]
        self._seq += 1
        SEQ.pack_into(mm, SEQ_OFFSET, self._seq)  # odd: being written
        mm[PAYLOAD_OFFSET : PAYLOAD_OFFSET + PAYLOAD.size] = payload
        mm[PRICES_OFFSET : PRICES_OFFSET + len(prices)] = prices
        CRCS.pack_into(mm, CRC_OFFSET, zlib.crc32(payload), zlib.crc32(prices))
        self._seq += 1
        SEQ.pack_into(mm, SEQ_OFFSET, self._seq)  # even: consistent

    def close(self) -> None:
        if self._mm is not None:
            self._mm.close()
            os.close(self._fd)
            self._mm = None

    def __enter__(self) -> StateWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _allocate(fd: int, size: int) -> None:
    """Reserve ``size`` bytes on disk (``posix_fallocate``; zeros where it is not supported)."""
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, bytes(size), 0)


def _mark_superseded(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        if os.pread(fd, 8, 0) == MAGIC:
            os.pwrite(fd, b"\x01", 10)
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------- read side
@dataclass(frozen=True, slots=True)
class RpcSlot:
    host: str  # host[:port] only, never a URL with a key
    healthy: bool
    latency_ms: float
    lagging: bool = False
    breaker: str = "closed"
    head: int | None = None
    stream: str = ""  # "" (no WebSocket), "live" or "down"
    reason: str = ""  # why it is not healthy ("" when it is); credential-free, <= REASON_LEN bytes


@dataclass(frozen=True, slots=True)
class StateSnapshot:
    """One consistent picture of the supervisor. ``prices`` is None for a header-only read."""

    seq: int
    mode: Mode | None
    kill_switch: bool
    leds: dict[str, str]
    live: bool
    pid: int
    head_block: int | None
    head_timestamp: float
    head_seen_at: float
    updated_at: float
    started_at: float
    opportunities: int
    approved: int
    rejected: int
    trades: dict[str, int]
    pnl_today: int
    pnl_session: int
    equity_peak: int
    breakers: dict[str, str]
    rpc: tuple[RpcSlot, ...]
    risk: dict[str, float | str]
    cpu_pct: float
    rss_bytes: int
    temp_c: float
    last_alert_at: float
    last_alert_priority: int
    last_alert: str
    n_pools: int
    n_tokens: int
    n_denied: int
    pool_count: int
    prices: array | None = None

    def head_age_s(self, now: float | None = None) -> float | None:
        """Seconds since the head block's timestamp (None before the first block)."""
        if self.head_block is None:
            return None
        return max(0.0, (time.time() if now is None else now) - self.head_timestamp)

    def writer_alive(self) -> bool:
        """Whether the writer's pid still exists (same pid namespace); pid 0 = stopped cleanly."""
        if self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def age_s(self, now: float | None = None) -> float:
        """Seconds since the writer last published (stale when large)."""
        return max(0.0, (time.time() if now is None else now) - self.updated_at)

    @classmethod
    def decode(cls, seq: int, payload: bytes, prices: array | None) -> StateSnapshot:
        v = PAYLOAD.unpack(payload)
        f = _INDEX
        n_breakers, n_rpc = v[f["n_breakers"]], v[f["n_rpc"]]
        breakers = {
            _text(v[name]): _name(BREAKER_STATES, v[state])
            for name, state in _BREAKER_AT[: min(n_breakers, MAX_BREAKERS)]
        }
        rpc = [
            RpcSlot(
                host=_text(v[host]),
                healthy=bool(v[healthy]),
                latency_ms=round(v[latency], 3),
                lagging=bool(v[lagging]),
                breaker=_name(BREAKER_STATES, v[breaker]),
                head=None if v[rhead] < 0 else v[rhead],
                stream=_name(STREAM_STATES, v[stream]),
                reason=_text(v[reason]),
            )
            for host, healthy, latency, lagging, breaker, rhead, stream, reason in _RPC_AT[
                : min(n_rpc, MAX_RPC)
            ]
        ]
        mode, head = v[f["mode"]], v[f["head_block"]]
        return cls(
            seq=seq,
            mode=None if mode < 0 else Mode(mode),
            kill_switch=bool(v[f["kill_switch"]]),
            leds={
                "green": _name(LED_STATES, v[f["led_green"]]),
                "yellow": _name(LED_STATES, v[f["led_yellow"]]),
                "red": _name(LED_STATES, v[f["led_red"]]),
            },
            live=bool(v[f["live"]]),
            pid=v[f["pid"]],
            head_block=None if head < 0 else head,
            head_timestamp=v[f["head_timestamp"]],
            head_seen_at=v[f["head_seen_at"]],
            updated_at=v[f["updated_at"]],
            started_at=v[f["started_at"]],
            opportunities=v[f["opportunities"]],
            approved=v[f["approved"]],
            rejected=v[f["rejected"]],
            trades={s: v[f[f"trades_{s}"]] for s in TRADE_STATUSES},
            pnl_today=_unwei(v[f["pnl_today"]]),
            pnl_session=_unwei(v[f["pnl_session"]]),
            equity_peak=_unwei(v[f["equity_peak"]]),
            breakers=breakers,
            rpc=tuple(rpc),
            risk={
                "var95": v[f["var95"]],
                "cvar95": v[f["cvar95"]],
                "var99": v[f["var99"]],
                "cvar99": v[f["cvar99"]],
                "size_multiplier": v[f["size_multiplier"]],
                "regime": _name(REGIMES, v[f["regime"]]),
            },
            cpu_pct=v[f["cpu_pct"]],
            rss_bytes=v[f["rss_bytes"]],
            temp_c=v[f["temp_c"]],
            last_alert_at=v[f["last_alert_at"]],
            last_alert_priority=v[f["last_alert_priority"]],
            last_alert=_text(v[f["last_alert"]]),
            n_pools=v[f["n_pools"]],
            n_tokens=v[f["n_tokens"]],
            n_denied=v[f["n_denied"]],
            pool_count=v[_POOL_COUNT],
            prices=prices,
        )


class StateReader:
    """Maps the state file read-only; never blocks the writer (seqlock + CRC, retry on change).

    >>> with StateReader(runtime_dir / "state.bin") as reader:
    ...     snap = reader.snapshot()            # header + prices
    ...     snap = reader.snapshot(prices=False)  # header only (cheaper)

    Raises :class:`StateFileError` when the file is missing, not ours or of another version.
    """

    MAX_TRIES = 100_000

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._mm: mmap.mmap | None = None
        self._open()

    def _open(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            raise StateFileError(f"no state file at {str(self.path)!r}") from None
        except OSError as exc:
            raise StateFileError(f"cannot open state file {str(self.path)!r}: {exc}") from exc
        try:
            size = os.fstat(fd).st_size
            if size < PRICES_OFFSET:
                raise StateFileError(f"state file {str(self.path)!r} is truncated ({size} bytes)")
            mm = mmap.mmap(fd, size, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        magic, version, _superseded, _r, capacity = PREFIX.unpack_from(mm, 0)
        if magic != MAGIC:
            mm.close()
            raise StateFileError(f"{str(self.path)!r} is not a state file (magic {magic!r})")
        if version != VERSION:
            mm.close()
            raise StateFileError(
                f"state file {str(self.path)!r} has layout version {version}, this code reads {VERSION}"
            )
        if size < file_size(capacity):
            mm.close()
            raise StateFileError(f"state file {str(self.path)!r} is truncated ({size} bytes)")
        if self._mm is not None:
            self._mm.close()
        self._mm = mm

    def read_raw(self, *, prices: bool = True) -> tuple[int, bytes, bytes | None]:
        """One consistent copy: ``(seq, payload, price bytes or None)``; CRCs verified."""
        for attempt in range(self.MAX_TRIES):
            seq, payload, raw_prices, crc_ok = self.read_unchecked(prices=prices)
            if seq is not None and crc_ok:
                return seq, payload, raw_prices
            if attempt % 64 == 63:
                time.sleep(0)  # let the writer run (a single core)
        raise StateFileError(
            f"state file {str(self.path)!r} stayed mid-update (the writer died while writing?)"
        )

    def read_unchecked(
        self, *, prices: bool = True
    ) -> tuple[int | None, bytes, bytes | None, bool]:
        """One seqlock attempt: ``(seq or None when torn/odd, payload, prices, crc_ok)``.

        Exposed for the torn-read test: a snapshot accepted by the seqlock must pass its CRC.
        """
        mm = self._mm
        if mm is None:
            raise StateFileError(f"state file {str(self.path)!r} is closed")
        if mm[10]:
            self._open()  # superseded: a new writer replaced the file
            mm = self._mm
        s1 = SEQ.unpack_from(mm, SEQ_OFFSET)[0]
        if s1 & 1:
            return None, b"", None, False
        head = mm[CRC_OFFSET : PAYLOAD_OFFSET + PAYLOAD.size]
        raw_prices = None
        if prices:
            count = PAYLOAD.unpack_from(head, PAYLOAD_OFFSET - CRC_OFFSET)[_POOL_COUNT]
            raw_prices = mm[
                PRICES_OFFSET : PRICES_OFFSET + 8 * min(count, (len(mm) - PRICES_OFFSET) // 8)
            ]
        if SEQ.unpack_from(mm, SEQ_OFFSET)[0] != s1:
            return None, b"", None, False
        crc_payload, crc_prices = CRCS.unpack_from(head, 0)
        payload = head[PAYLOAD_OFFSET - CRC_OFFSET :]
        ok = zlib.crc32(payload) == crc_payload
        if raw_prices is not None:
            ok = ok and zlib.crc32(raw_prices) == crc_prices
        return s1, payload, raw_prices, ok

    def snapshot(self, *, prices: bool = True) -> StateSnapshot:
        seq, payload, raw_prices = self.read_raw(prices=prices)
        arr = None
        if raw_prices is not None:
            arr = array("d")
            arr.frombytes(raw_prices)
        return StateSnapshot.decode(seq, payload, arr)

    def prices(self) -> array:
        """Only the price array (slot ``i`` = journal pool id ``i + 1``)."""
        _seq, _payload, raw = self.read_raw(prices=True)
        arr = array("d")
        arr.frombytes(raw or b"")
        return arr

    def close(self) -> None:
        if self._mm is not None:
            self._mm.close()
            self._mm = None

    def __enter__(self) -> StateReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
