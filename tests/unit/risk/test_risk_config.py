"""``[risk]``: conservative defaults load, contradictory settings are rejected at load."""

from __future__ import annotations

import pytest

from appliance.config import ConfigError, load_config

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
FACTORY = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"


def write(tmp_path, risk: str) -> object:
    path = tmp_path / "arb-appliance.toml"
    path.write_text(
        f"""
[chain]
chain_id = 31337
rpc = ["http://127.0.0.1:8545"]

[[dex]]
name = "uni"
factory = "{FACTORY}"

[tokens]
base = ["{WETH}"]

[risk]
{risk}
"""
    )
    return path


def test_defaults_are_consistent(tmp_path):
    risk = load_config(write(tmp_path, "")).risk
    assert risk.consecutive_failures == 5
    assert risk.max_trade_pct_inventory <= risk.max_token_exposure_pct
    assert risk.vol_medium < risk.vol_high


@pytest.mark.parametrize(
    ("risk", "key", "quoted"),
    [
        ("max_trade_pct_inventory = 60.0", "risk.max_trade_pct_inventory", "60.0"),
        (
            "max_trade_pct_inventory = 20.0\nmax_pool_exposure_pct = 10.0",
            "risk.max_trade_pct_inventory",
            "10.0",
        ),
        ("vol_medium = 0.05\nvol_high = 0.01", "risk.vol_medium", "0.05"),
        ("max_orders_per_block = 3\nmax_pending_trades = 2", "risk.max_orders_per_block", "3"),
        ("max_trade_wei = 10\nmin_profit_wei = 10", "risk.max_trade_wei", "10"),
        ("daily_reset_hour_utc = 24", "risk.daily_reset_hour_utc", "24"),
        ("reduced_size_factor = 0", "risk.reduced_size_factor", "0"),
        ("kelly_fraction = 1.5", "risk.kelly_fraction", "1.5"),
    ],
)
def test_contradictory_or_bad_settings_are_rejected(tmp_path, risk, key, quoted):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, risk))
    assert info.value.key == key
    assert quoted in info.value.reason


def test_new_knobs_load(tmp_path):
    risk = load_config(
        write(tmp_path, "max_reserves_lag_blocks = 1\nvar_window = 500\nkelly_cap_pct = 10.0")
    ).risk
    assert (risk.max_reserves_lag_blocks, risk.var_window, risk.kelly_cap_pct) == (1, 500, 10.0)
