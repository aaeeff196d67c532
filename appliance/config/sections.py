"""The sections of ``arb-appliance.toml``. Each field's ``doc`` is its reference entry.

Owners: chain I/O owns ``ChainConfig``; execution ``ExecutionConfig``/``AccountConfig``; risk
``RiskConfig``; hardware ``HardwareConfig``; store ``StorageConfig``. Add knobs as fields here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from appliance.config._schema import REQUIRED, setting
from appliance.config.checks import (
    checksum_address,
    http_url,
    ip_network,
    redact_rpc_endpoint,
    rpc_endpoint,
    webhook_url,
)
from appliance.config.urls import redact_url

__all__ = [
    "AccountConfig",
    "AlertsConfig",
    "ChainConfig",
    "DexConfig",
    "ExecutionConfig",
    "HardwareConfig",
    "MetricsConfig",
    "RiskConfig",
    "StorageConfig",
    "StrategyConfig",
    "TokensConfig",
    "WebhookConfig",
]

MAX_RPC_ENDPOINTS = 4  # the state file's RPC slots (appliance.store.statefile.MAX_RPC; tested)
BCM_PINS = (0, 27)  # the GPIO pins of the board's 40-pin header, BCM numbering


def _bcm_pin(default: int, *, doc: str):
    """A pin of the GPIO header, BCM numbering."""
    return setting(default, doc=doc, min=BCM_PINS[0], max=BCM_PINS[1])


def _credential_url(default, *, doc: str):
    """An http(s) URL that may carry a credential: checked, and only ever shown redacted."""
    return setting(default, doc=doc, check=http_url, redact=redact_url)


@dataclass(frozen=True)
class ChainConfig:
    chain_id: int = setting(
        REQUIRED, doc="EIP-155 chain id; checked against eth_chainId at start", min=1
    )
    rpc: tuple[str, ...] = setting(
        REQUIRED,
        doc="JSON-RPC endpoints in failover order, at most 4 (all shown on the screen): "
        '"http(s)://..." (polled), "ws(s)://..." (subscriptions and requests over one '
        "WebSocket) or an HTTP and a WebSocket URL of one provider joined by a vertical bar "
        '(requests over HTTP, heads and Sync logs streamed); see "Streaming chain input"',
        check=rpc_endpoint,
        min_items=1,
        max_items=MAX_RPC_ENDPOINTS,
        redact=redact_rpc_endpoint,
    )
    block_time_s: float = setting(
        12.0, doc="expected block time; sets the head poll interval", min=0.05, max=600
    )
    request_timeout_s: float = setting(2.0, doc="timeout of one JSON-RPC request", min=0.05, max=60)
    hedge: bool = setting(True, doc="ask the next endpoint when the first is slower than its p90")
    breaker_failures: int = setting(
        5, doc="consecutive failures that open an endpoint's breaker", min=1, max=1000
    )
    breaker_reset_s: float = setting(
        60.0, doc="seconds before an open endpoint is tried again", min=1, max=3600
    )
    max_lag_blocks: int = setting(
        3, doc="an endpoint this many blocks behind the best is lagging", min=1, max=1000
    )
    full_refresh_blocks: int = setting(
        100,
        doc="every N blocks the log path is checked against a full reserve read (off the block path)",
        min=1,
        max=100000,
    )
    multicall: str | None = setting(
        None, doc="Multicall3 address, if deployed", check=checksum_address
    )
    max_response_bytes: int = setting(16_000_000, doc="refuse answers larger than this", min=1024)
    stale_head_s: float = setting(
        120.0,
        doc="a newly produced head whose block timestamp is older than this by the local clock "
        "is stale: its endpoint is faulted (not traded on) with the reason shown",
        min=1,
        max=86400,
    )


@dataclass(frozen=True)
class AccountConfig:
    key_file: Path | None = setting(
        None,
        doc="file holding the 0x-hex private key; mode 0600, owned by the service user",
        secret=True,
    )
    executor: str | None = setting(
        None,
        doc="deployed executor contract (arb-appliance deploy-executor)",
        check=checksum_address,
    )


@dataclass(frozen=True)
class DexConfig:
    name: str = setting(REQUIRED, doc="a short name for the DEX (unique)")
    factory: str = setting(REQUIRED, doc="the V2 factory address", check=checksum_address)
    fee_bps: int = setting(
        30, doc="swap fee in basis points (Uniswap V2: 30, PancakeSwap V2: 25)", min=0, max=1000
    )
    router: str | None = setting(
        None, doc="the DEX's router (devnet simulator only)", check=checksum_address
    )
    kind: str = setting(
        "uniswap_v2",
        doc="the pool kind: uniswap_v2 (a V2 factory) or uniswap_v3 (a V3 factory)",
        choices=("uniswap_v2", "uniswap_v3"),
    )
    fee_tiers: tuple[int, ...] = setting(
        (),
        doc="uniswap_v3 only, and required there: the fee tiers to discover, in hundredths of "
        "a basis point (Uniswap: 100, 500, 3000, 10000; forks: any multiple of 100); each "
        "pool's tick spacing is read from the pool",
    )

    def __post_init__(self) -> None:
        if self.kind != "uniswap_v3":
            if self.fee_tiers:
                raise ValueError(f'fee_tiers is for kind = "uniswap_v3" only, not {self.kind!r}')
            return
        if not self.fee_tiers:
            raise ValueError("a uniswap_v3 DEX needs fee_tiers (e.g. [500, 3000])")
        for tier in self.fee_tiers:
            if not isinstance(tier, int) or isinstance(tier, bool) or not 0 < tier < 1_000_000:
                raise ValueError(f"fee tier {tier!r} is not in (0, 1000000) hundredths of a bp")
            if tier % 100:
                raise ValueError(f"fee tier {tier!r} is not a whole number of basis points")
        if len(set(self.fee_tiers)) != len(self.fee_tiers):
            raise ValueError(f"fee_tiers {list(self.fee_tiers)} lists a tier twice")


@dataclass(frozen=True)
class TokensConfig:
    base: tuple[str, ...] = setting(
        REQUIRED,
        doc="base tokens: every cycle starts and ends in one of them",
        check=checksum_address,
        min_items=1,
    )
    allow: tuple[str, ...] | None = setting(
        None, doc="tokens to watch (default: base tokens only)", check=checksum_address
    )
    deny: tuple[str, ...] = setting((), doc="tokens never traded", check=checksum_address)


@dataclass(frozen=True)
class StrategyConfig:
    mode: str = setting(
        "paper", doc="paper (simulate, never send) or live", choices=("paper", "live")
    )
    max_hops: int = setting(3, doc="longest cycle: 3 = triangles, 4 = quadrilaterals", min=2, max=4)
    top_n: int = setting(10, doc="candidates re-checked exactly per block", min=1, max=1000)
    gas_per_hop: int = setting(
        75_000,
        doc="pre-filter gas estimate per swap leg (measured 2-hop 139k-236k, 3-hop 257k-323k); execution re-checks with the gas its simulation measured",
        min=1,
    )
    gas_overhead: int = setting(
        40_000, doc="pre-filter gas estimate per transaction on top of the legs", min=0
    )
    native_token: str | None = setting(
        None,
        doc="the wrapped native coin (WETH); gas is priced through it (default: first base token)",
        check=checksum_address,
    )
    probe_tokens: bool = setting(
        True, doc="probe every new non-base token for fee-on-transfer, rebasing and blocking"
    )


@dataclass(frozen=True)
class ExecutionConfig:
    funding: str = setting(
        "inventory",
        doc="inventory (executor holds base tokens) or flash (flash swap)",
        choices=("inventory", "flash"),
    )
    max_fee_gwei: float = setting(200.0, doc="EIP-1559 max fee cap per gas", min=0, max=100_000)
    tip_gwei: float = setting(1.0, doc="EIP-1559 priority fee", min=0, max=100_000)
    gas_limit: int = setting(
        2_000_000,
        doc=(
            "cap of a trade's gas limit, which is derived per trade from its simulation"
            " (the simulation runs with this gas)"
        ),
        min=21_000,
        max=30_000_000,
    )
    receipt_timeout_s: float = setting(
        30.0, doc="replace or cancel a transaction not mined by then", min=1, max=3600
    )
    private_rpc: str | None = _credential_url(
        None, doc="send transactions here instead of the public endpoints"
    )
    receipt_poll_s: float = setting(
        0.5, doc="how often a sent transaction's receipt is polled", min=0.01, max=60
    )
    deadline_blocks: int = setting(
        2,
        doc="the executor reverts when mined more than N blocks after the head it was simulated at (every trade carries this deadline)",
        min=1,
        max=1000,
    )
    submit: str = setting(
        "public",
        doc="how a signed trade is submitted: public (the chain.rpc endpoints, or private_rpc), "
        "private (eth_sendPrivateTransaction to execution.relays only) or bundle (eth_sendBundle "
        "to every relay at once for the next block, resubmitted each block until mined or the "
        "deadline; never public). The ethereum preset uses bundle",
        choices=("public", "private", "bundle"),
    )
    relays: tuple[str, ...] = _credential_url(
        (),
        doc="relay / builder endpoints for private and bundle submission (http(s) URLs; shown "
        "redacted)",
    )
    searcher_key_file: Path | None = setting(
        None,
        doc="file holding the searcher-identity key that signs relay requests "
        "(X-Flashbots-Signature); mode 0600, never the trading key; required for live private "
        "and bundle submission",
        secret=True,
    )
    bid_share: float = setting(
        0.0,
        doc="priority fee bid: this share of the expected net profit, spread over the gas, at "
        "least tip_gwei, capped by max_fee_gwei (0: always tip_gwei); base token = native only",
        min=0,
        max=1,
    )
    coinbase_share: float = setting(
        0.0,
        doc="bundle only: the executor pays block.coinbase this share of the expected net "
        "profit, only when the trade succeeds (needs the wrapped native coin as base token)",
        min=0,
        max=1,
    )
    relay_timeout_s: float = setting(2.0, doc="timeout of one relay request", min=0.05, max=60)
    relay_backoff_s: float = setting(
        2.0,
        doc="a relay failing 3 times in a row is skipped this long, doubling while it keeps "
        "failing (at most 120 s or this, whichever is larger)",
        min=0.1,
        max=3600,
    )
    public_fallback: bool = setting(
        False,
        doc="private/bundle: when no relay takes a trade, send it to the public endpoints "
        "instead (off: it is dropped, its nonce unused)",
    )


@dataclass(frozen=True)
class StorageConfig:
    data_dir: Path = setting(
        Path("/var/lib/arb-appliance"), doc="journal directory (journal.sqlite)"
    )
    runtime_dir: Path = setting(Path("/run/arb-appliance"), doc="state file directory (tmpfs)")
    retention_days: int = setting(
        7, doc="raw reserve rows kept this many days, then one per pool per minute", min=1, max=3650
    )
    commit_interval_s: float = setting(
        10.0,
        doc="bulk journal rows (whole blocks) are committed at most this often; trades and mode changes at once. Fewer commits, less SD wear",
        min=0,
        max=300,
    )
    checkpoint_interval_s: float = setting(
        300.0, doc="WAL checkpoint (TRUNCATE) this often", min=1, max=86400
    )
    swaps_retention_blocks: int = setting(
        43_200,
        doc="market intelligence: every swap on the tracked pools is journaled for this many blocks (a day at 2 s blocks), then pruned a chunk per commit; 0: swaps not journaled (arbitrages still are)",
        min=0,
        max=10_000_000,
    )
    swaps_commit_interval_s: float = setting(
        60.0,
        doc="swaps are written to the journal at most this often (fewer SD writes; a power cut loses at most this much of them)",
        min=0,
        max=3600,
    )


@dataclass(frozen=True)
class RiskConfig:
    min_profit_wei: int = setting(0, doc="minimum net profit after gas, in base-token wei", min=0)
    min_profit_bps: float = setting(
        5.0, doc="minimum net profit in bps of the input", min=0, max=10_000
    )
    max_trade_wei: int = setting(10**18, doc="largest input of one trade, base-token wei", min=1)
    max_trade_pct_inventory: float = setting(
        25.0, doc="largest input as % of inventory", min=0.01, max=100
    )
    max_gas_price_gwei: float = setting(
        300.0, doc="no trade when base fee + tip exceeds this", min=0
    )
    max_head_age_s: float = setting(30.0, doc="no trade when the head is older than this", min=0.1)
    max_pending_trades: int = setting(1, doc="unconfirmed trades at once", min=1, max=100)
    max_orders_per_block: int = setting(1, doc="orders per block", min=1, max=100)
    consecutive_failures: int = setting(
        5, doc="reverted/failed trades in a row that open the trade breaker", min=1, max=1000
    )
    breaker_cooldown_s: float = setting(
        300.0, doc="open trade breaker goes half-open after this", min=1
    )
    breaker_close_after: int = setting(
        2, doc="successes in half-open that close the breaker", min=1, max=1000
    )
    session_loss_wei: int = setting(10**17, doc="loss since start that pauses trading", min=0)
    daily_loss_wei: int = setting(10**17, doc="loss per UTC day that pauses trading", min=0)
    daily_reset_hour_utc: int = setting(0, doc="hour (UTC) the daily loss resets", min=0, max=23)
    max_drawdown_pct: float = setting(
        20.0, doc="drawdown from peak equity that pauses trading", min=0.1, max=100
    )
    max_reserves_lag_blocks: int = setting(
        0, doc="no trade on reserves this many blocks older than the head", min=0, max=100
    )
    max_token_exposure_pct: float = setting(
        50.0,
        doc="unconfirmed trades' input in one base token, % of its inventory",
        min=0.01,
        max=100,
    )
    max_pool_exposure_pct: float = setting(
        25.0,
        doc="unconfirmed trades' input through one pool, % of the base token's inventory",
        min=0.01,
        max=100,
    )
    reduced_size_factor: float = setting(
        0.5, doc="size multiplier in REDUCED mode", min=0.01, max=1
    )
    var_window: int = setting(
        1000, doc="realized P&L / inventory values kept for VaR and CVaR", min=10, max=100_000
    )
    vol_window: int = setting(
        100,
        doc="blocks of price returns for the volatility regime and correlations",
        min=5,
        max=100_000,
    )
    vol_medium: float = setting(
        0.005,
        doc="per-block stdev of log price returns from which the regime is medium (size x0.5)",
        min=0,
    )
    vol_high: float = setting(
        0.02,
        doc="per-block stdev of log price returns from which the regime is high (size x0.25)",
        min=0,
    )
    kelly_fraction: float = setting(
        0.25, doc="fraction of the Kelly bet used for size caps", min=0, max=1
    )
    kelly_cap_pct: float = setting(
        25.0, doc="Kelly size cap never above this % of inventory", min=0, max=100
    )
    kelly_min_trades: int = setting(
        20, doc="settled trades needed before Kelly sizing applies", min=1, max=100_000
    )
    min_gas_balance_wei: int = setting(
        0,
        doc="alert and pause when the trading account's native gas balance falls below this (wei; 0: off)",
        min=0,
    )
    var_caps_trade: bool = setting(
        False,
        doc="shrink trade sizes so the 99% VaR of realized trade P&L fits in what is left of session_loss_wei (off by default)",
    )


@dataclass(frozen=True)
class HardwareConfig:
    enabled: bool = setting(True, doc="drive the kill switch and LEDs")
    kill_switch_pin: int = _bcm_pin(17, doc="BCM pin of the kill switch (to GND)")
    pull_up: bool = setting(True, doc="internal pull-up on the kill switch pin")
    bounce_s: float = setting(0.05, doc="debounce time of the kill switch", min=0, max=1)
    rearm_hold_s: float = setting(
        5.0, doc="hold the switch this long (after release) to re-arm", min=1, max=60
    )
    green_pin: int = _bcm_pin(22, doc="BCM pin of the green LED")
    yellow_pin: int = _bcm_pin(23, doc="BCM pin of the yellow LED")
    red_pin: int = _bcm_pin(24, doc="BCM pin of the red LED")

    def __post_init__(self) -> None:
        pins = [self.kill_switch_pin, self.green_pin, self.yellow_pin, self.red_pin]
        if len(set(pins)) != len(pins):
            raise ValueError(f"hardware pins must differ, got {pins}")


@dataclass(frozen=True)
class MetricsConfig:
    enabled: bool = setting(True, doc="serve Prometheus metrics")
    host: str = setting("127.0.0.1", doc="listen address (loopback by default)")
    port: int = setting(9108, doc="listen port", min=1, max=65535)
    allow: tuple[str, ...] = setting(
        ("127.0.0.0/8", "::1/128"),
        doc="client networks (CIDR) allowed to scrape, others get 403; to serve a fleet set host (e.g. 0.0.0.0) and list the Prometheus server's network here",
        check=ip_network,
    )


@dataclass(frozen=True)
class WebhookConfig:
    kind: str = setting(
        REQUIRED,
        doc="telegram, discord, slack or generic",
        choices=("telegram", "discord", "slack", "generic"),
    )
    url: str = setting(
        REQUIRED,
        doc="the webhook URL (Telegram: https://api.telegram.org/bot<token>)",
        check=webhook_url,
        secret=True,
    )
    chat_id: str | None = setting(None, doc="Telegram chat id")
    min_priority: str = setting(
        "warning", doc="lowest priority sent", choices=("info", "warning", "critical")
    )

    def __post_init__(self) -> None:
        if self.kind == "telegram" and not self.chat_id:
            raise ValueError("a telegram webhook needs chat_id")


@dataclass(frozen=True)
class AlertsConfig:
    webhooks: tuple[WebhookConfig, ...] = setting((), doc="[[alerts.webhooks]] tables")
    rate_per_minute: int = setting(
        20, doc="at most this many alerts per minute per webhook", min=1, max=10_000
    )
    dedup_s: float = setting(
        300.0, doc="the same alert key is not repeated within this window", min=0
    )
    timeout_s: float = setting(5.0, doc="timeout of one webhook request", min=0.1, max=120)
