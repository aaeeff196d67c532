"""The whole configuration file as one frozen object, plus cross-section checks."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

from appliance.config._schema import REQUIRED, parse_section, setting
from appliance.config._source import read_config_bytes
from appliance.config.errors import ConfigError
from appliance.config.keyfile import check_key_file, read_private_key
from appliance.config.sections import (
    AccountConfig,
    AlertsConfig,
    ChainConfig,
    DexConfig,
    ExecutionConfig,
    HardwareConfig,
    MetricsConfig,
    RiskConfig,
    StorageConfig,
    StrategyConfig,
    TokensConfig,
)

__all__ = ["AppConfig", "load_config"]

DEFAULT_CONFIG_PATHS = (Path("/boot/firmware/arb-appliance.toml"), Path("/etc/arb-appliance.toml"))


@dataclass(frozen=True)
class AppConfig:
    chain: ChainConfig = setting(REQUIRED, doc="[chain]")
    dex: tuple[DexConfig, ...] = setting(REQUIRED, doc="[[dex]] tables, one per DEX", min_items=1)
    tokens: TokensConfig = setting(REQUIRED, doc="[tokens]")
    account: AccountConfig = setting(AccountConfig(), doc="[account]")
    strategy: StrategyConfig = setting(StrategyConfig(), doc="[strategy]")
    execution: ExecutionConfig = setting(ExecutionConfig(), doc="[execution]")
    storage: StorageConfig = setting(StorageConfig(), doc="[storage]")
    risk: RiskConfig = setting(RiskConfig(), doc="[risk]")
    hardware: HardwareConfig = setting(HardwareConfig(), doc="[hardware]")
    metrics: MetricsConfig = setting(MetricsConfig(), doc="[metrics]")
    alerts: AlertsConfig = setting(AlertsConfig(), doc="[alerts]")
    path: Path | None = None  # where it was read from (not a TOML key)

    @property
    def live(self) -> bool:
        return self.strategy.mode == "live"


def load_config(path: Path | str, *, check_key: bool = True) -> AppConfig:
    """Read, parse and validate ``path``. Raises :class:`ConfigError` naming file, key and why.

    ``check_key=False`` is for readers that never sign (the status screen runs as another user
    and must not need the key file at all).
    """
    path = Path(path)
    raw = read_config_bytes(path)
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "(file)", f"not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"invalid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses per nested array/table: 5,000 "[" exhaust it
        raise ConfigError(path, "(syntax)", "invalid TOML: nested too deeply") from None
    if "path" in table:
        raise ConfigError(path, "path", "unknown key")
    cfg: AppConfig = parse_section(AppConfig, table, path)
    cfg = dataclasses.replace(cfg, path=path.resolve())
    _cross_checks(cfg, path, check_key=check_key)
    return cfg


def _cross_checks(cfg: AppConfig, path: Path, *, check_key: bool = True) -> None:
    names = [d.name for d in cfg.dex]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ConfigError(path, f"dex[{i}].name", f"duplicate DEX name {name!r}")
    factories = [d.factory for d in cfg.dex]
    for i, factory in enumerate(factories):
        if factories.index(factory) != i:
            raise ConfigError(path, f"dex[{i}].factory", f"factory {factory} is listed twice")
    if len(set(cfg.tokens.base)) != len(cfg.tokens.base):
        raise ConfigError(path, "tokens.base", "lists a token twice")
    denied = set(cfg.tokens.deny)
    for token in cfg.tokens.base:
        if token in denied:
            raise ConfigError(path, "tokens.deny", f"denies base token {token}")
    if cfg.live and cfg.account.key_file is None:
        raise ConfigError(path, "account.key_file", "is required when strategy.mode = 'live'")
    if cfg.account.key_file is not None and check_key:
        check_key_file(cfg.account.key_file, path)
    risk = cfg.risk
    if risk.max_trade_wei <= risk.min_profit_wei:
        raise ConfigError(
            path, "risk.max_trade_wei", f"must exceed risk.min_profit_wei ({risk.min_profit_wei})"
        )
    _risk_cross_checks(risk, path)
    _submission_cross_checks(cfg, path, check_key=check_key)
    if cfg.execution.tip_gwei > cfg.execution.max_fee_gwei:
        raise ConfigError(
            path,
            "execution.tip_gwei",
            f"{cfg.execution.tip_gwei} exceeds execution.max_fee_gwei ({cfg.execution.max_fee_gwei})",
        )
    if cfg.execution.max_fee_gwei > risk.max_gas_price_gwei:
        raise ConfigError(
            path,
            "execution.max_fee_gwei",
            f"{cfg.execution.max_fee_gwei} exceeds risk.max_gas_price_gwei ({risk.max_gas_price_gwei})",
        )


def _submission_cross_checks(cfg: AppConfig, path: Path, *, check_key: bool) -> None:
    """``execution.submit`` and what it needs (owner: submission)."""
    ex = cfg.execution
    if ex.submit != "public":
        if not ex.relays:
            raise ConfigError(
                path, "execution.relays", f"is required when execution.submit = {ex.submit!r}"
            )
        if ex.private_rpc is not None:
            raise ConfigError(
                path,
                "execution.private_rpc",
                f"cannot be combined with execution.submit = {ex.submit!r} (use execution.relays)",
            )
        if cfg.live and ex.searcher_key_file is None:
            raise ConfigError(
                path,
                "execution.searcher_key_file",
                f"is required when execution.submit = {ex.submit!r} and strategy.mode = 'live'",
            )
    if ex.coinbase_share > 0 and ex.submit != "bundle":
        raise ConfigError(
            path, "execution.coinbase_share", "applies to execution.submit = 'bundle' only"
        )
    if ex.bid_share + ex.coinbase_share > 1:
        raise ConfigError(
            path,
            "execution.coinbase_share",
            f"{ex.coinbase_share} plus execution.bid_share ({ex.bid_share}) exceeds 1: the bid "
            "would be more than the profit",
        )
    hosts = [r.lower().rstrip("/") for r in ex.relays]
    for i, relay in enumerate(hosts):
        if hosts.index(relay) != i:
            raise ConfigError(path, f"execution.relays[{i}]", "lists a relay twice")
    if ex.searcher_key_file is not None and check_key:
        identity = read_private_key(ex.searcher_key_file, path, key="execution.searcher_key_file")
        if cfg.account.key_file is not None:
            trading = read_private_key(cfg.account.key_file, path)
            if trading == identity:
                raise ConfigError(
                    path,
                    "execution.searcher_key_file",
                    "holds the trading key: the relay identity must be a separate key",
                )


def _risk_cross_checks(risk: RiskConfig, path: Path) -> None:
    """Settings of ``[risk]`` that contradict each other (owner: risk)."""
    if risk.max_trade_pct_inventory > risk.max_token_exposure_pct:
        raise ConfigError(
            path,
            "risk.max_trade_pct_inventory",
            f"{risk.max_trade_pct_inventory} exceeds risk.max_token_exposure_pct ({risk.max_token_exposure_pct}): a full-size trade would always break the exposure limit",
        )
    if risk.max_trade_pct_inventory > risk.max_pool_exposure_pct:
        raise ConfigError(
            path,
            "risk.max_trade_pct_inventory",
            f"{risk.max_trade_pct_inventory} exceeds risk.max_pool_exposure_pct ({risk.max_pool_exposure_pct}): a full-size trade would always break the pool limit",
        )
    if risk.vol_medium >= risk.vol_high:
        raise ConfigError(
            path,
            "risk.vol_medium",
            f"{risk.vol_medium} must be below risk.vol_high ({risk.vol_high})",
        )
    if risk.max_orders_per_block > risk.max_pending_trades:
        raise ConfigError(
            path,
            "risk.max_orders_per_block",
            f"{risk.max_orders_per_block} exceeds risk.max_pending_trades ({risk.max_pending_trades}): the extra orders could never be approved",
        )
