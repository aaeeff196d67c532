"""What ``run`` refuses before starting anything."""

from __future__ import annotations

from appliance.config import AppConfig, ConfigError

__all__ = ["check_runnable"]


def check_runnable(cfg: AppConfig) -> None:
    """Refuse early, with one line, what would fail later."""
    if cfg.account.executor is None:
        raise ConfigError(
            cfg.path or "(config)",
            "account.executor",
            "is required to run: deploy it with `arb-appliance deploy-executor --config F`",
        )
