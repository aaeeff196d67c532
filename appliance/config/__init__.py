"""Configuration: one TOML file parsed into frozen, typed, validated objects.

>>> cfg = load_config("arb-appliance.toml")   # raises ConfigError("file: key: reason")
"""

from appliance.config._model import DEFAULT_CONFIG_PATHS, AppConfig, load_config
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
    WebhookConfig,
)

__all__ = [
    "DEFAULT_CONFIG_PATHS",
    "AccountConfig",
    "AlertsConfig",
    "AppConfig",
    "ChainConfig",
    "ConfigError",
    "DexConfig",
    "ExecutionConfig",
    "HardwareConfig",
    "MetricsConfig",
    "RiskConfig",
    "StorageConfig",
    "StrategyConfig",
    "TokensConfig",
    "WebhookConfig",
    "check_key_file",
    "load_config",
    "read_private_key",
]
