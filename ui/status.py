"""What one refresh of the status screen shows: immutable, plain data, no Textual.

:class:`Status` is built by :class:`ui.source.StatusSource` and rendered by the widgets. Liveness
is decided here once (``liveness``) so that no widget can show a number as live on its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from appliance.modes import Mode
from ui.market import MarketView

__all__ = [
    "AlertRow",
    "Endpoint",
    "Liveness",
    "OpportunityRow",
    "RiskView",
    "Status",
    "SystemView",
    "TradeRow",
]


class Liveness(enum.Enum):
    LIVE = "live"  # the supervisor publishes and its pid exists
    STALE = "stale"  # its pid exists but the state file stopped moving
    NOT_RUNNING = "not running"  # no state file, or its writer's pid is gone
    NO_DATA = "no data"  # neither a state file nor a journal

    @property
    def live(self) -> bool:
        return self is Liveness.LIVE


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    healthy: bool
    latency_ms: float
    lagging: bool = False
    breaker: str = "closed"
    head: int | None = None
    stream: str = ""  # "" (no WebSocket), "live" or "down"
    reason: str = ""  # why it is not healthy ("" when it is)


@dataclass(frozen=True, slots=True)
class OpportunityRow:
    at: float
    block: int
    path: str  # "WETH>USDC>WETH" when the tokens are known, else short pool addresses
    amount_in: int
    net_profit: int
    decision: str  # candidate | approved | rejected
    reason: str
    symbol: str = ""  # the row's own base token: the unit of amount_in and net_profit
    decimals: int = 18
    gross_profit: int = 0  # before gas, base-token wei (net = gross - gas)
    gas_cost: int = 0  # the gas the strategy priced in, converted to base-token wei


@dataclass(frozen=True, slots=True)
class TradeRow:
    created_at: float
    status: str
    mode: str
    tx_hash: str | None
    amount_in: int
    expected_profit: int
    profit: int | None  # realized (paper: realized or expected), base-token wei
    gas_used: int | None
    gas_cost: int | None
    reason: str
    symbol: str = ""  # the row's own base token (its own or its opportunity's): profit's unit
    decimals: int = 18
    net_profit: int | None = None  # after gas, base-token wei (None: not accounted yet)


@dataclass(frozen=True, slots=True)
class AlertRow:
    at: float
    priority: str
    key: str
    text: str


@dataclass(frozen=True, slots=True)
class RiskView:
    breakers: dict[str, str] = field(default_factory=dict)
    daily_loss: int = 0  # >= 0, reference-token wei lost today (0 when in profit)
    daily_loss_limit: int | None = None
    var95: float = 0.0
    cvar95: float = 0.0
    var99: float = 0.0
    cvar99: float = 0.0
    regime: str = "-"
    size_multiplier: float = 1.0
    # amount_in of trades not yet final (signed/sent) per base token: (symbol, decimals, wei)
    exposure: tuple[tuple[str, int, int], ...] = ()
    pending: int = 0


@dataclass(frozen=True, slots=True)
class SystemView:
    cpu_pct: float | None = None  # of the supervisor (from the state file)
    rss_bytes: int | None = None
    temp_c: float | None = None
    disk_free_bytes: int | None = None  # of the journal's filesystem (read from the OS)
    uptime_s: float | None = None  # of the board (read from the OS)
    supervisor_uptime_s: float | None = None


@dataclass(frozen=True, slots=True)
class Status:
    """One consistent picture; numbers are the last known ones when ``liveness`` is not LIVE.

    Ages are whole seconds and ``now`` does not take part in ``==``: two refreshes that would
    draw the same picture compare equal, and the screen is not redrawn (CPU on a Pi).
    """

    now: float = field(compare=False)
    liveness: Liveness
    liveness_detail: str  # why it is not live, for the banner ("" when live)
    mode: Mode | None = None
    fault: bool = False  # the red LED blinks: no healthy RPC, a breaker open, crashes
    kill_switch: bool = False
    rearm_hold_s: float = 5.0
    paper: bool = True
    pid: int | None = None
    head_block: int | None = None
    head_age_s: float | None = None
    updated_age_s: float | None = None
    endpoints: tuple[Endpoint, ...] = ()
    n_pools: int = 0
    n_tokens: int = 0
    n_denied: int = 0
    opportunities_total: int = 0
    approved_total: int = 0
    rejected_total: int = 0
    trade_counts: dict[str, int] = field(default_factory=dict)
    pnl_today: int | None = None
    pnl_7d: int | None = None
    equity: tuple[int, ...] = ()
    # the P&L unit: the reference token (the wrapped native coin gas is priced in), when known
    symbol: str = ""
    decimals: int = 18
    risk: RiskView = field(default_factory=RiskView)
    system: SystemView = field(default_factory=SystemView)
    opportunities: tuple[OpportunityRow, ...] = ()
    trades: tuple[TradeRow, ...] = ()
    alerts: tuple[AlertRow, ...] = ()
    problems: tuple[str, ...] = ()
    # opportunities journaled per RATE_BUCKET_S, oldest first (the opportunity-rate sparkline)
    opportunity_rate: tuple[int, ...] = ()
    # (host, latency samples in ms, oldest first) per endpoint, sampled from the state file
    latency_history: tuple[tuple[str, tuple[float, ...]], ...] = ()
    # the market panel: others' arbitrages, our capture rate, why nothing traded (ui/market.py)
    market: MarketView = field(default_factory=MarketView)
