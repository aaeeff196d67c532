"""Prometheus metrics: a :class:`Metrics` object fed with the supervisor's events, and an exporter.

The registry is the object's own :class:`~prometheus_client.CollectorRegistry` (never the global
default one), so tests and several instances never collide. The exporter is a tiny HTTP/1.0
server on Trio (``GET /metrics``): cancellable at once on SIGTERM, no server thread.

Values are floats (Prometheus' only type): wei amounts above 2**53 lose their last digits here
— the journal keeps the exact integers. Counters only grow, so profit and loss are two counters;
the signed P&L is a gauge.

Names (DESIGN.md section 5)::

    arb_blocks_total, arb_reorgs_total, arb_head_block
    arb_block_to_decision_seconds (histogram: block seen -> first risk decision of that block)
    arb_opportunities_detected_total, arb_decisions_total{reason}, arb_trades_total{status}
    arb_trades_dropped_total{reason} (the kind before the reason's colon: sim_mismatch, ...)
    arb_profit_wei_total, arb_loss_wei_total, arb_pnl_today_wei, arb_pnl_session_wei
    arb_gas_used_total, arb_gas_cost_wei_total
    arb_mode (0 NORMAL, 1 REDUCED, 2 PAUSED, 3 EMERGENCY), arb_mode_changes_total{mode}
    arb_kill_switch_latched, arb_kill_switch_presses_total{source}
    arb_breaker_open{name}, arb_rpc_latency_seconds{endpoint}, arb_rpc_healthy{endpoint}
    arb_pools, arb_tokens_denied_total, arb_journal_writes_total, arb_alerts_raised_total{priority}
    arb_alerts_total{outcome} (when bound to the alert sender's stats)
    process_resident_memory_bytes, process_cpu_seconds_total, ... (prometheus_client's own)
    arb_board_temperature_celsius (when /sys/class/thermal has a zone), arb_disk_free_bytes
    arb_head_seen_timestamp_seconds (unix time the latest head was seen; the start until then),
    arb_head_block_timestamp_seconds (the latest head's own timestamp)
    arb_gas_balance_wei (the trading account's native balance; absent until observed)
    arb_daily_loss_limit_wei, arb_session_loss_limit_wei (the risk limits; when given the config)
    arb_storage_written_bytes_total (bytes this process had written to storage: its SD wear)
    arb_storage_device_written_bytes_total{device} (bytes written to the journal's block
    device by anyone: the card's wear; absent on tmpfs/overlay)
    arb_build_info{version}
    arb_relay_requests_total{relay,outcome} (ok, unavailable, malformed, refused),
    arb_relay_skipped{relay} (1 while a failing relay is backed off; private/bundle submission)

Labels are bounded and never carry a secret: ``endpoint`` is host[:port] only (a URL handed in
by mistake is cut down to its host here too), ``reason``/``status``/``mode``/``priority``/
``source`` are short machine names. Per-box labels (``chain``, ``box``) are the scraper's job
(``monitoring/prometheus.yml``).

The exporter answers only clients in ``metrics.allow`` (loopback by default; others get 403).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import trio
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from appliance import __version__, sysinfo
from appliance.errors import OperationalError
from appliance.events import (
    AlertRaised,
    BlockSeen,
    CandidatesFound,
    KillSwitchPressed,
    KillSwitchRearmed,
    MarketIntelSeen,
    ModeChanged,
    OrderApproved,
    OrderRejected,
    PoolsDiscovered,
    RelayHealthChanged,
    ReorgDetected,
    RiskUpdated,
    RpcHealthChanged,
    TokenDenied,
    TradeStatus,
    TradeUpdated,
)
from appliance.risk.inputs import InventoryObserved
from appliance.risk.settle import SettledOrders
from appliance.safety import SafetyLatch

if TYPE_CHECKING:
    from appliance.config.sections import MetricsConfig, RiskConfig

__all__ = [
    "LATENCY_BUCKETS",
    "MAX_REASONS",
    "PROC_IO",
    "SYS_DEV_BLOCK",
    "Metrics",
    "MetricsError",
    "MetricsServer",
    "device_written_bytes",
    "endpoint_label",
    "run_metrics",
    "storage_written_bytes",
]

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PENDING_BLOCKS = 64  # block -> seen_at kept for the latency histogram
PROC_IO = Path("/proc/self/io")
SYS_DEV_BLOCK = Path("/sys/dev/block")
_SECTOR = 512  # /sys/.../stat counts 512-byte sectors whatever the device's block size
MAX_REASONS = 32  # distinct ``reason`` label values; later new ones count as "other"


class MetricsError(OperationalError):
    """The exporter cannot serve (e.g. the port is taken); the message names host and port."""


def endpoint_label(value: str) -> str:
    """host[:port] of an endpoint: userinfo, path and query (where keys live) cut away."""
    rest = value.split("://", 1)[-1]
    for sep in "/?#":
        rest = rest.split(sep, 1)[0]
    return rest.rsplit("@", 1)[-1] or "<no host>"


def storage_written_bytes(proc_io: Path = PROC_IO) -> int | None:
    """``write_bytes`` of ``/proc/self/io``: what this process had the block layer write."""
    try:
        for line in proc_io.read_text().splitlines():
            key, _, number = line.partition(":")
            if key == "write_bytes":
                return int(number)
    except (OSError, ValueError):
        return None
    return None


def device_written_bytes(path: Path, sys_block: Path = SYS_DEV_BLOCK) -> tuple[str, int] | None:
    """(device name, bytes written) of the block device (the SD card's partition) holding
    ``path``, from ``/sys/dev/block/MAJOR:MINOR/stat``; None on tmpfs, overlay and the like."""
    try:
        dev = os.stat(path).st_dev
        node = sys_block / f"{os.major(dev)}:{os.minor(dev)}"
        sectors = int((node / "stat").read_text().split()[6])
        return node.resolve().name, sectors * _SECTOR
    except (OSError, IndexError, ValueError):
        return None


class _SystemCollector:
    """Board temperature, disk free space and bytes written, read at scrape time (absent sources:
    no sample)."""

    def __init__(
        self, data_dir: Path | None, thermal_root: Path, proc_io: Path, sys_block: Path
    ) -> None:
        self._data_dir = data_dir
        self._thermal_root = thermal_root
        self._proc_io = proc_io
        self._sys_block = sys_block

    def describe(self):
        return []

    def collect(self):
        temp = sysinfo.board_temperature_c(self._thermal_root)
        if temp is not None:
            yield GaugeMetricFamily(
                "arb_board_temperature_celsius", "Hottest thermal zone of the board.", value=temp
            )
        if self._data_dir is not None:
            free = sysinfo.disk_free_bytes(self._data_dir)
            if free is not None:
                yield GaugeMetricFamily(
                    "arb_disk_free_bytes", "Free space on the journal's filesystem.", value=free
                )
            device = device_written_bytes(self._data_dir, self._sys_block)
            if device is not None:
                family = CounterMetricFamily(
                    "arb_storage_device_written_bytes",
                    "Bytes written to the journal's block device by anyone (the SD card's wear).",
                    labels=["device"],
                )
                family.add_metric([device[0]], device[1])
                yield family
        written = storage_written_bytes(self._proc_io)
        if written is not None:
            yield CounterMetricFamily(
                "arb_storage_written_bytes",
                "Bytes this process had written to storage (/proc/self/io write_bytes): SD wear.",
                value=written,
            )


class _OptionalGauges:
    """Gauges that have no sample until a value is known (an absent series alerts nobody)."""

    def __init__(self, docs: Mapping[str, str]) -> None:
        self._docs = dict(docs)
        self._values: dict[str, float] = {}

    def set(self, name: str, value: float) -> None:
        if name not in self._docs:
            raise KeyError(name)
        self._values[name] = value

    def describe(self):
        return []

    def collect(self):
        for name, value in sorted(self._values.items()):
            yield GaugeMetricFamily(name, self._docs[name], value=value)


class _MappingCollector:
    """Counters read from a live ``{label: count}`` mapping (the alert sender's statistics)."""

    def __init__(self, name: str, doc: str, label: str, source: Callable[[], Mapping[str, int]]):
        self._name, self._doc, self._label, self._source = name, doc, label, source

    def describe(self):
        return []

    def collect(self):
        family = CounterMetricFamily(self._name, self._doc, labels=[self._label])
        for key, value in sorted(self._source().items()):
            family.add_metric([key], value)
        yield family


class Metrics:
    """All metrics of one supervisor. Call :meth:`observe` with every event the tasks emit."""

    # the event kinds :meth:`observe` accounts for (its isinstance branches), for the tests
    OBSERVED: tuple[type, ...] = (
        BlockSeen,
        ReorgDetected,
        CandidatesFound,
        OrderApproved,
        OrderRejected,
        TradeUpdated,
        ModeChanged,
        KillSwitchPressed,
        KillSwitchRearmed,
        RiskUpdated,
        RpcHealthChanged,
        AlertRaised,
        PoolsDiscovered,
        TokenDenied,
        InventoryObserved,
        MarketIntelSeen,
        RelayHealthChanged,
    )

    def __init__(
        self,
        *,
        latch: SafetyLatch | None = None,
        data_dir: Path | None = None,
        thermal_root: Path = sysinfo.THERMAL_ROOT,
        proc_io: Path = PROC_IO,
        sys_block: Path = SYS_DEV_BLOCK,
        risk: RiskConfig | None = None,
        process: bool = True,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = r = CollectorRegistry(auto_describe=True)
        self._clock = clock
        self._wall_clock = wall_clock
        self._pending: dict[int, float] = {}
        self._reasons: set[str] = set()
        Gauge("arb_build_info", "The appliance's version.", ["version"], registry=r).labels(
            __version__
        ).set(1)
        self.blocks = Counter("arb_blocks_total", "New heads seen.", registry=r)
        self.reorgs = Counter("arb_reorgs_total", "Chain reorganisations detected.", registry=r)
        self.head = Gauge("arb_head_block", "Number of the latest head.", registry=r)
        self.head_seen = Gauge(
            "arb_head_seen_timestamp_seconds",
            "Unix time the latest head was seen (the start time until one is).",
            registry=r,
        )
        self.head_seen.set(wall_clock())
        self.head_time = Gauge(
            "arb_head_block_timestamp_seconds", "Timestamp of the latest head.", registry=r
        )
        self.block_to_decision = Histogram(
            "arb_block_to_decision_seconds",
            "From a block seen to the first risk decision on its candidates.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.opportunities = Counter(
            "arb_opportunities_detected_total", "Exactly re-checked candidates found.", registry=r
        )
        self.decisions = Counter(
            "arb_decisions_total",
            "Risk decisions by reason (approved or the refusal).",
            ["reason"],
            registry=r,
        )
        self.trades = Counter(
            "arb_trades_total", "Trade status transitions.", ["status"], registry=r
        )
        self.trades_dropped = Counter(
            "arb_trades_dropped_total",
            "Trades dropped by execution, by reason (sim_mismatch, net_profit, send_refused, ...).",
            ["reason"],
            registry=r,
        )
        for kind in ("sim_mismatch", "net_profit", "send_refused", "kill_switch", "simulation"):
            self.trades_dropped.labels(kind)  # exported at 0 from the start (rate() needs it)
        self.profit = Counter(
            "arb_profit_wei_total", "Realized profit of mined trades (base wei).", registry=r
        )
        self.loss = Counter(
            "arb_loss_wei_total", "Realized loss of mined trades (base wei).", registry=r
        )
        self.pnl_today = Gauge(
            "arb_pnl_today_wei", "P&L of the UTC day, net of gas (base wei).", registry=r
        )
        self.pnl_session = Gauge(
            "arb_pnl_session_wei", "P&L since start, net of gas (base wei).", registry=r
        )
        self.gas_used = Counter("arb_gas_used_total", "Gas units used by sent trades.", registry=r)
        self.gas_cost = Counter(
            "arb_gas_cost_wei_total", "Native coin spent on gas (wei).", registry=r
        )
        self.mode = Gauge(
            "arb_mode", "Mode: 0 NORMAL, 1 REDUCED, 2 PAUSED, 3 EMERGENCY.", registry=r
        )
        self.mode.set(2)  # PAUSED until told otherwise
        self.mode_changes = Counter(
            "arb_mode_changes_total", "Mode changes by new mode.", ["mode"], registry=r
        )
        self.kill_latched = Gauge(
            "arb_kill_switch_latched", "1 when the kill switch latch is set.", registry=r
        )
        if latch is not None:
            self.kill_latched.set_function(lambda: 1.0 if latch.tripped else 0.0)
        self._has_latch = latch is not None
        self.kill_presses = Counter(
            "arb_kill_switch_presses_total",
            "Kill switch presses by source.",
            ["source"],
            registry=r,
        )
        self.breaker_open = Gauge(
            "arb_breaker_open", "1 when the breaker is open.", ["name"], registry=r
        )
        self.rpc_latency = Gauge(
            "arb_rpc_latency_seconds",
            "Latest measured latency per endpoint.",
            ["endpoint"],
            registry=r,
        )
        self.rpc_healthy = Gauge(
            "arb_rpc_healthy", "1 when the endpoint is healthy.", ["endpoint"], registry=r
        )
        self.pools = Gauge("arb_pools", "Pools watched.", registry=r)
        self.tokens_denied = Counter(
            "arb_tokens_denied_total", "Hostile tokens denied.", registry=r
        )
        self.journal_writes = Counter(
            "arb_journal_writes_total", "Journal write transactions.", registry=r
        )
        self.alerts_raised = Counter(
            "arb_alerts_raised_total", "Alerts raised by priority.", ["priority"], registry=r
        )
        self.market_arbitrages = Counter(
            "arb_market_arbitrages_total",
            "Arbitrages and sandwiches seen on the tracked pools, by kind (ours/arbitrage/sandwich).",
            ["kind"],
            registry=r,
        )
        self.market_profit = Counter(
            "arb_market_profit_wei_total",
            "Profit others' arbitrages realized on the tracked pools (start-token wei, gains only).",
            registry=r,
        )
        self.relay_requests = Counter(
            "arb_relay_requests",
            "Relay / builder requests by outcome (ok, unavailable, malformed, refused).",
            ["relay", "outcome"],
            registry=r,
        )
        self._relay_seen: dict[tuple[str, str], int] = {}
        self.relay_skipped = Gauge(
            "arb_relay_skipped",
            "1 while a failing relay is skipped (backoff).",
            ["relay"],
            registry=r,
        )
        self.market_swaps = Counter(
            "arb_market_swaps_total", "Plain swaps seen on the tracked pools.", registry=r
        )
        self.optional = _OptionalGauges(
            {
                "arb_gas_balance_wei": "Native coin balance of the trading account (wei).",
                "arb_daily_loss_limit_wei": "Loss per UTC day that pauses trading (base wei).",
                "arb_session_loss_limit_wei": "Loss since start that pauses trading (base wei).",
            }
        )
        r.register(self.optional)
        if risk is not None:
            self.optional.set("arb_daily_loss_limit_wei", risk.daily_loss_wei)
            self.optional.set("arb_session_loss_limit_wei", risk.session_loss_wei)
        if process:
            ProcessCollector(registry=r)
        r.register(_SystemCollector(data_dir, thermal_root, proc_io, sys_block))
        self._settled = SettledOrders()  # a final status reported twice counts once

    # ------------------------------------------------------------------ feeding
    def observe(self, event: object) -> None:
        """Account for one event; unknown event types are ignored."""
        if isinstance(event, BlockSeen):
            self._block(event)
        elif isinstance(event, ReorgDetected):
            self._reorg(event)
        elif isinstance(event, CandidatesFound):
            self._candidates(event)
        elif isinstance(event, OrderApproved):
            self._decided(event.candidate.block, "approved")
        elif isinstance(event, OrderRejected):
            self._decided(event.candidate.block, event.reason)
        elif isinstance(event, TradeUpdated):
            self._trade(event)
        elif isinstance(event, ModeChanged):
            self._mode(event)
        elif isinstance(event, KillSwitchPressed):
            self._pressed(event)
        elif isinstance(event, KillSwitchRearmed):
            if not self._has_latch:
                self.kill_latched.set(0)
        elif isinstance(event, RiskUpdated):
            self._risk(event)
        elif isinstance(event, RpcHealthChanged):
            self._rpc(event)
        elif isinstance(event, AlertRaised):
            self.alerts_raised.labels(event.priority.name.lower()).inc()
        elif isinstance(event, PoolsDiscovered):
            self.pools.inc(len(event.pools))  # announcements are additive
        elif isinstance(event, TokenDenied):
            self.tokens_denied.inc()
        elif isinstance(event, InventoryObserved):
            self._inventory(event)
        elif isinstance(event, MarketIntelSeen):
            self._intel(event)
        elif isinstance(event, RelayHealthChanged):
            self._relays(event)

    def journal_written(self, transactions: int = 1) -> None:
        self.journal_writes.inc(transactions)

    def watch_alerts(self, counts: Callable[[], Mapping[str, int]]) -> None:
        """Export the alert sender's outcome counters (sent, failed, dropped, deduplicated...)."""
        self.registry.register(
            _MappingCollector("arb_alerts", "Alert deliveries by outcome.", "outcome", counts)
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def _block(self, e: BlockSeen) -> None:
        self.blocks.inc()
        self._head(e)

    def _head(self, e: BlockSeen) -> None:
        self.head.set(e.number)
        self.head_time.set(e.timestamp)
        self.head_seen.set(self._wall_clock())

    def _inventory(self, e: InventoryObserved) -> None:
        if e.gas_balance_wei is not None:  # None: not read this time
            self.optional.set("arb_gas_balance_wei", e.gas_balance_wei)

    def _reorg(self, e: ReorgDetected) -> None:
        self.reorgs.inc()
        self._head(e.new_head)

    def _candidates(self, e: CandidatesFound) -> None:
        self.opportunities.inc(len(e.candidates))
        if not e.candidates:
            self.block_to_decision.observe(max(0.0, self._clock() - e.seen_at))
            return
        self._pending.setdefault(e.block, e.seen_at)
        while len(self._pending) > _PENDING_BLOCKS:
            del self._pending[min(self._pending)]

    def _decided(self, block: int, reason: str) -> None:
        reason = reason or "unknown"
        if reason not in self._reasons:
            if len(self._reasons) >= MAX_REASONS:
                reason = "other"  # labels stay bounded whatever the refusals are called
            self._reasons.add(reason)
        self.decisions.labels(reason).inc()
        seen_at = self._pending.pop(block, None)
        if seen_at is not None:
            self.block_to_decision.observe(max(0.0, self._clock() - seen_at))

    def _trade(self, e: TradeUpdated) -> None:
        if e.status in (TradeStatus.SIGNED, TradeStatus.SENT):
            self.trades.labels(e.status.value).inc()  # each replacement is a transition
            return
        if not self._settled.first(e.order_id):
            return  # a fill reported again (a reconciliation after a restart): counted once
        self.trades.labels(e.status.value).inc()
        if e.status is TradeStatus.DROPPED:  # reasons are "kind: detail"; the kind is the label
            self.trades_dropped.labels(e.reason.split(":", 1)[0].strip() or "unknown").inc()
        if e.status not in (TradeStatus.MINED, TradeStatus.REVERTED):
            return
        if e.gas_used:
            self.gas_used.inc(e.gas_used)
        if e.gas_cost:
            self.gas_cost.inc(e.gas_cost)
        if e.status is TradeStatus.MINED and e.realized_profit is not None:
            if e.realized_profit >= 0:
                self.profit.inc(e.realized_profit)
            else:
                self.loss.inc(-e.realized_profit)

    def _intel(self, e: MarketIntelSeen) -> None:
        for arb in e.arbitrages:  # kind is one of three words: a bounded label
            self.market_arbitrages.labels(arb.kind).inc()
            if arb.kind == "arbitrage" and arb.profit_wei > 0:
                self.market_profit.inc(arb.profit_wei)
        if e.plain_swaps:
            self.market_swaps.inc(e.plain_swaps)

    def _mode(self, e: ModeChanged) -> None:
        self.mode.set(int(e.new))
        self.mode_changes.labels(e.new.name).inc()

    def _pressed(self, e: KillSwitchPressed) -> None:
        self.kill_presses.labels(e.source).inc()
        if not self._has_latch:
            self.kill_latched.set(1)

    def _risk(self, e: RiskUpdated) -> None:
        for name, state in e.breakers.items():
            self.breaker_open.labels(name).set(1 if state == "open" else 0)
        self.pnl_today.set(e.pnl_today)
        self.pnl_session.set(e.pnl_session)

    def _relays(self, e: RelayHealthChanged) -> None:
        for x in e.relays:
            host = endpoint_label(x.host)
            for outcome in ("ok", "unavailable", "malformed", "refused"):
                count = getattr(x, outcome)
                seen = self._relay_seen.get((host, outcome), 0)
                if count > seen:  # execution's counts since its start; a restart resets them
                    self.relay_requests.labels(host, outcome).inc(count - seen)
                self._relay_seen[(host, outcome)] = count
            self.relay_skipped.labels(host).set(1 if x.skipped else 0)

    def _rpc(self, e: RpcHealthChanged) -> None:
        for ep in e.endpoints:
            host = endpoint_label(ep.host)
            self.rpc_latency.labels(host).set(ep.latency_ms / 1000.0)
            self.rpc_healthy.labels(host).set(1 if ep.healthy else 0)
            self.breaker_open.labels(f"rpc:{host}").set(1 if ep.breaker == "open" else 0)


# ---------------------------------------------------------------------- exporter
@dataclass(frozen=True)
class MetricsServer:
    """What ``run_metrics`` hands to ``task_status.started``: where it listens (None: disabled)."""

    host: str | None
    port: int | None

    @property
    def url(self) -> str | None:
        if self.host is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"


_MAX_REQUEST = 8192
_REQUEST_TIMEOUT_S = 5.0


async def run_metrics(
    cfg: MetricsConfig, metrics: Metrics, *, task_status=trio.TASK_STATUS_IGNORED
) -> None:
    """Serve ``metrics`` over HTTP on ``cfg.host:cfg.port`` (port 0: any free port) until
    cancelled, to clients in ``cfg.allow`` only (others: 403, logged once per address)."""
    if not cfg.enabled:
        task_status.started(MetricsServer(None, None))
        await trio.sleep_forever()
    allowed = _Allowed(cfg.allow)
    try:
        listeners = await trio.open_tcp_listeners(cfg.port, host=cfg.host)
    except OSError as exc:
        raise MetricsError(
            f"cannot listen on {cfg.host}:{cfg.port} for metrics: {exc.strerror or exc}"
        ) from exc
    port = listeners[0].socket.getsockname()[1]
    if cfg.host not in ("127.0.0.1", "::1", "localhost"):
        log.warning(
            "metrics are exposed beyond loopback on %s:%d to %s",
            cfg.host,
            port,
            ", ".join(cfg.allow) or "nobody",
        )
    log.info("metrics on http://%s:%d/metrics", cfg.host, port)

    async def handler(stream: trio.SocketStream) -> None:
        try:
            await _serve_one(stream, metrics, allowed)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass  # the scraper went away
        except Exception:  # never let one bad request take the exporter down
            log.exception("metrics request failed")
        finally:
            await stream.aclose()

    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, handler, listeners)
        task_status.started(MetricsServer(cfg.host, port))


class _Allowed:
    """The allow-list of client networks; remembers (a bounded number of) refused addresses so
    each is logged once."""

    _LOGGED_MAX = 256

    def __init__(self, networks: tuple[str, ...]) -> None:
        self._networks = tuple(ipaddress.ip_network(n, strict=False) for n in networks)
        self._logged: set[str] = set()

    def __call__(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a v4 client of a dual-stack listener
        if any(address in network for network in self._networks):
            return True
        if peer not in self._logged and len(self._logged) < self._LOGGED_MAX:
            self._logged.add(peer)
            log.warning("metrics: refused a scrape from %s (not in metrics.allow)", peer)
        return False


def _peer(stream: trio.SocketStream) -> str:
    try:
        return str(stream.socket.getpeername()[0])
    except (OSError, IndexError):
        return ""


async def _serve_one(stream: trio.SocketStream, metrics: Metrics, allowed: _Allowed) -> None:
    data = b""
    with trio.move_on_after(_REQUEST_TIMEOUT_S):
        while b"\r\n\r\n" not in data and b"\n\n" not in data and len(data) < _MAX_REQUEST:
            chunk = await stream.receive_some(4096)
            if not chunk:
                break
            data += chunk
    if not allowed(_peer(stream)):
        return await _respond(stream, 403, b"forbidden: not in metrics.allow\n")
    parts = data.split(b"\n", 1)[0].decode("latin-1").split()
    if len(parts) < 2:
        return await _respond(stream, 400, b"bad request\n")
    method, path = parts[0], parts[1].split("?", 1)[0]
    if method not in ("GET", "HEAD"):
        return await _respond(stream, 405, b"only GET\n", extra="Allow: GET, HEAD\r\n")
    if path == "/metrics":
        return await _respond(
            stream, 200, metrics.render(), content_type=CONTENT_TYPE_LATEST, head=method == "HEAD"
        )
    if path == "/":
        return await _respond(
            stream, 200, b"arb-appliance metrics: /metrics\n", head=method == "HEAD"
        )
    return await _respond(stream, 404, b"not found\n")


_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
}


async def _respond(
    stream: trio.SocketStream,
    status: int,
    body: bytes,
    *,
    content_type: str = "text/plain; charset=utf-8",
    extra: str = "",
    head: bool = False,
) -> None:
    header = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n"
    ).encode("latin-1")
    await stream.send_all(header if head else header + body)
