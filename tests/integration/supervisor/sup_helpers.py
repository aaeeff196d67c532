"""Shared steps of the supervisor tests: an appliance-ready devnet config (executor deployed)."""

from __future__ import annotations

import re
from pathlib import Path

from appliance.devnet import Devnet

SYMBOL_WETH = "WETH"


async def appliance_config(dn: Devnet, tmp: Path, *, live: bool = False, extra: str = "") -> Path:
    """Copy the devnet's config into ``tmp`` with a deployed, funded executor and fresh storage."""
    from appliance.devnet.executor import deploy_funded_executor

    executor = await deploy_funded_executor(dn)
    text = dn.config_path.read_text()
    text = text.replace("[account]\n", f'[account]\nexecutor = "{executor}"\n', 1)
    text = re.sub(r'data_dir = ".*"', f'data_dir = "{tmp / "data"}"', text)
    text = re.sub(r'runtime_dir = ".*"', f'runtime_dir = "{tmp / "run"}"', text)
    if live:
        text = text.replace('mode = "paper"', 'mode = "live"')
    path = tmp / "arb-appliance.toml"
    path.write_text(text + extra)
    return path
