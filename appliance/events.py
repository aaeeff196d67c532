"""Events that flow between supervisor tasks over Trio memory channels.

All are frozen dataclasses named in the past tense. Conventions, everywhere in the appliance:

* addresses are EIP-55 checksummed ``str`` (``0xAbC...``); hashes are lowercase ``0x`` hex ``str``;
* amounts are ``int`` in the token's smallest unit (wei) — never floats;
* ``block`` is a block number (``int``).

Channel map (who sends -> who receives)::

    chain   --BlockSeen/ReorgDetected-->        market
    market  --CandidatesFound-->                risk
    risk    --OrderApproved-->                  execution
    risk    --OrderRejected-->                  store
    execution --TradeUpdated-->                 risk (breakers, P&L) and store
    anyone  --ModeChanged/AlertRaised-->        store, alerts, hw (LEDs)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from appliance.modes import Mode

__all__ = [
    "AlertRaised",
    "ArbitrageSeen",
    "BlockSeen",
    "Candidate",
    "CandidatesFound",
    "FaultChanged",
    "KillSwitchPressed",
    "KillSwitchRearmed",
    "Leg",
    "MarketIntelSeen",
    "ModeChanged",
    "OrderApproved",
    "OrderRejected",
    "PoolInfo",
    "PoolStatesUpdated",
    "Priority",
    "RearmRefused",
    "RelayHealthChanged",
    "RelayStatus",
    "ReorgDetected",
    "ReservesUpdated",
    "StartupCompleted",
    "SwapLogsSeen",
    "SwapRecord",
    "SwapsSeen",
    "TokenInfo",
    "TradeStatus",
    "TradeUpdated",
    "V3PoolSnapshot",
]


# --------------------------------------------------------------------------------- chain
@dataclass(frozen=True, slots=True)
class BlockSeen:
    number: int
    hash: str
    parent_hash: str
    timestamp: int
    base_fee: int | None  # None on chains without EIP-1559


@dataclass(frozen=True, slots=True)
class ReorgDetected:
    """The chain replaced blocks above ``common_ancestor``; state above it must be rolled back."""

    common_ancestor: int
    old_head: int
    new_head: BlockSeen


@dataclass(frozen=True, slots=True)
class TokenInfo:
    address: str
    symbol: str
    decimals: int


@dataclass(frozen=True, slots=True)
class PoolInfo:
    address: str
    dex: str
    token0: str
    token1: str
    fee_bps: int
    # the pool kind's name (``appliance.market.kinds``): "uniswap_v2" or "uniswap_v3" (a V3
    # pool's fee_bps is its fee / 100)
    kind: str = "uniswap_v2"


@dataclass(frozen=True, slots=True)
class ReservesUpdated:
    """Reserves of the pools that changed in ``block`` (``full`` when from a full refresh)."""

    block: int
    block_hash: str
    reserves: dict[str, tuple[int, int]]  # pool address -> (reserve0, reserve1)
    full: bool = False


# --------------------------------------------------------------------------------- strategy
@dataclass(frozen=True, slots=True)
class Leg:
    """One swap of a cycle: ``amount_in`` of ``token_in`` into ``pool``, out comes ``token_out``."""

    pool: str
    token_in: str
    token_out: str
    fee_bps: int
    # the pool kind's name (``appliance.market`` pool kinds): "uniswap_v2" or "uniswap_v3"; a V3
    # leg's fee_bps is the pool's fee / 100 (fee tiers 100/500/3000/10000 -> 1/5/30/100 bps)
    kind: str = "uniswap_v2"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An exactly re-checked opportunity: integer amounts from the pools' own arithmetic."""

    block: int
    legs: tuple[Leg, ...]
    base_token: str
    amount_in: int
    amount_out: int
    gas_estimate: int  # gas units
    gas_cost: int  # in base-token wei
    amounts: tuple[int, ...] = ()  # per-leg outputs, len == len(legs)

    @property
    def gross_profit(self) -> int:
        return self.amount_out - self.amount_in

    @property
    def net_profit(self) -> int:
        return self.gross_profit - self.gas_cost

    @property
    def pools(self) -> tuple[str, ...]:
        return tuple(leg.pool for leg in self.legs)


@dataclass(frozen=True, slots=True)
class CandidatesFound:
    block: int
    candidates: tuple[Candidate, ...]
    seen_at: float  # time.monotonic() when the block was seen (block-to-decision latency)


# --------------------------------------------------------------------------------- risk
@dataclass(frozen=True, slots=True)
class OrderApproved:
    candidate: Candidate
    mode: Mode
    order_id: str  # unique, stable: journal key linking opportunity -> trade


@dataclass(frozen=True, slots=True)
class OrderRejected:
    candidate: Candidate
    reason: str  # a short machine name, e.g. "min_profit", "mode", "kill_switch"
    detail: str = ""


# --------------------------------------------------------------------------------- execution
class TradeStatus(enum.StrEnum):
    SIGNED = "signed"
    SENT = "sent"
    MINED = "mined"
    REVERTED = "reverted"
    DROPPED = "dropped"
    PAPER = "paper"


@dataclass(frozen=True, slots=True)
class TradeUpdated:
    order_id: str
    status: TradeStatus
    mode: Mode
    tx_hash: str | None = None
    nonce: int | None = None
    amount_in: int = 0
    expected_profit: int = 0
    realized_profit: int | None = None  # base-token wei, after the trade, before gas
    gas_used: int | None = None
    gas_cost: int | None = None  # wei of the native coin
    block_sent: int | None = None
    block_mined: int | None = None
    reason: str = ""
    net_profit: int | None = None  # base-token wei, after gas
    slippage_bps: float | None = None  # shortfall of realized vs expected gross profit
    base_token: str | None = None  # the cycle's base token (the unit of the profit fields)
    # net result after gas in the reference token (strategy.native_token or tokens.base[0], the
    # wrapped native coin gas is priced in), exact wei: the one unit P&L can be summed in
    value_ref: int | None = None


# --------------------------------------------------------------------------------- modes, alerts
@dataclass(frozen=True, slots=True)
class ModeChanged:
    at: float  # unix time
    old: Mode
    new: Mode
    reason: str
    source: str  # "kill_switch", "breaker", "startup", "health", "rearm", "supervisor"


class Priority(enum.IntEnum):
    INFO = 0
    WARNING = 1
    CRITICAL = 2


@dataclass(frozen=True, slots=True)
class AlertRaised:
    at: float
    priority: Priority
    key: str  # dedup key, e.g. "kill_switch", "breaker:trade"
    text: str
    extra: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------- status feeds
@dataclass(frozen=True, slots=True)
class PoolsDiscovered:
    tokens: tuple[TokenInfo, ...]
    pools: tuple[PoolInfo, ...]


@dataclass(frozen=True, slots=True)
class TokenDenied:
    """A hostile token (fee-on-transfer, rebasing, blocking): never traded; reason journaled."""

    token: str
    reason: str


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    host: str  # host[:port] only — never the full URL (it may carry an API key)
    healthy: bool
    latency_ms: float
    lagging: bool = False
    breaker: str = "closed"  # closed | open | half-open
    head: int | None = None
    # the endpoint's subscription: "" (no WebSocket URL), "live" (heads arrive), "down"
    # (disconnected, silent or refused: reconnecting with backoff)
    stream: str = ""
    reason: str = ""  # why the endpoint is unhealthy (e.g. "head 1000 blocks ahead, unknown")


@dataclass(frozen=True, slots=True)
class RpcHealthChanged:
    endpoints: tuple[EndpointHealth, ...]
    path: str = "polling"  # how heads come in: "streaming" (a live subscription) or "polling"


@dataclass(frozen=True, slots=True)
class LedsChanged:
    green: str  # off | on | slow | fast
    yellow: str
    red: str


@dataclass(frozen=True, slots=True)
class RiskUpdated:
    breakers: dict[str, str]  # name -> closed | open | half-open
    pnl_today: int  # base-token wei, net of gas
    pnl_session: int
    equity_peak: int
    var95: float = 0.0
    cvar95: float = 0.0
    var99: float = 0.0
    cvar99: float = 0.0
    regime: str = "low"  # low | medium | high
    size_multiplier: float = 1.0


# --------------------------------------------------------------------------------- hardware, faults
@dataclass(frozen=True, slots=True)
class KillSwitchPressed:
    """The kill switch (GPIO or SIGUSR1) was pressed; the latch was already tripped synchronously."""

    at: float  # unix time
    source: str  # "gpio" | "sigusr1" | ...
    newly_latched: bool  # False when the latch was already tripped (a repeated press)


@dataclass(frozen=True, slots=True)
class KillSwitchRearmed:
    """The deliberate long hold re-armed the latch (already removed); EMERGENCY -> PAUSED next."""

    at: float
    held_s: float


@dataclass(frozen=True, slots=True)
class RearmRefused:
    """A long hold was completed but re-arming was refused (e.g. the chain is not healthy)."""

    at: float
    reason: str


@dataclass(frozen=True, slots=True)
class FaultChanged:
    """A fault shown by the blinking red LED, raised or cleared (e.g. ``crashes:market``)."""

    name: str
    active: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StartupCompleted:
    """The supervisor is synced and armed (sd_notify READY=1; the LEDs leave "starting")."""

    at: float


# --------------------------------------------------------------------------------- sizing
@dataclass(frozen=True, slots=True)
class SizingUpdated:
    """What the strategy may size against: the risk engine's caps and the executor's inventory
    per base token (wei). ``inventory`` None means unlimited (flash funding)."""

    size_caps: dict[str, int]
    inventory: dict[str, int] | None


# --------------------------------------------------------------------------------- intelligence
@dataclass(frozen=True, slots=True)
class SwapLogsSeen:
    """The tracked pools' ``Swap`` logs of one block, from the head's own logs request."""

    block: int
    logs: tuple[object, ...]  # appliance.chain.values.Log, validated by the chain layer


@dataclass(frozen=True, slots=True)
class ArbitrageSeen:
    """Someone's (or our) arbitrage or sandwich that landed in ``block``, valued on chain.

    ``kind``: ``ours`` | ``arbitrage`` | ``sandwich``. ``profit_wei`` is in ``start_token``
    (negative for a losing one); ``gas_wei`` is native wei from the receipt(s). For a sandwich
    ``tx_hash`` is the back-run and ``victims`` the wrapped transactions.
    """

    block: int
    tx_hash: str
    kind: str
    searcher: str
    contract: str | None
    start_token: str
    profit_wei: int
    gas_wei: int
    pools: tuple[str, ...]
    victims: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MarketIntelSeen:
    """What one block's swaps were: the arbitrages and sandwiches, and how many plain swaps."""

    block: int
    arbitrages: tuple[ArbitrageSeen, ...]
    plain_swaps: int
    rejected_logs: int = 0  # logs that did not decode (malformed): logged and counted


@dataclass(frozen=True, slots=True)
class RelayStatus:
    """One relay / builder endpoint as execution last saw it (counts since start)."""

    host: str  # host[:port] only — never the full URL (it may carry an API key)
    sent: int
    ok: int
    unavailable: int = 0  # connection refused, HTTP 5xx/429, timeout
    malformed: int = 0  # not JSON-RPC, wrong id or shape
    refused: int = 0  # a JSON-RPC error (bad bundle, stale block, bad signature)
    skipped: bool = False  # failing: backing off
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class RelayHealthChanged:
    """Sent by execution after each private/bundle submission round (relays in config order)."""

    relays: tuple[RelayStatus, ...]


# --------------------------------------------------------------------------------- pool states
@dataclass(frozen=True, slots=True)
class V3PoolSnapshot:
    """One concentrated-liquidity pool read at a block: ``slot0``, ``liquidity``, its tick
    spacing, a contiguous run of tick-bitmap words (position -> word) and the ``ticks(i)``
    ``(liquidityGross, liquidityNet)`` of every set bit in them."""

    sqrt_price_x96: int
    tick: int
    liquidity: int
    tick_spacing: int
    words: dict[int, int]
    ticks: dict[int, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class PoolStatesUpdated:
    """Log-driven pools (Uniswap V3) that changed in ``block``: fresh ``snapshots`` (a full
    refresh, or a window refetched when the price left it) and, for the others, their state
    logs in log order as ``(pool, topics, data hex)``. Sent before the block's ReservesUpdated,
    which is when the market evaluates the block."""

    block: int
    block_hash: str
    snapshots: dict[str, V3PoolSnapshot]
    logs: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    full: bool = False


@dataclass(frozen=True, slots=True)
class SwapRecord:
    """One ``Swap`` log of a tracked pool, as the journal's ``swaps`` table keeps it."""

    tx_hash: str
    log_index: int
    pool: str
    sender: str  # the pool's msg.sender (a router, a searcher contract, an account)
    recipient: str
    zero_for_one: bool  # token0 went into the pool, token1 came out
    amount_in: int
    amount_out: int
    tx_sender: str | None  # tx.from; None when the block body could not be read


@dataclass(frozen=True, slots=True)
class SwapsSeen:
    """Every swap of one block on the tracked pools (intel task -> store), in log order."""

    block: int
    swaps: tuple[SwapRecord, ...]
