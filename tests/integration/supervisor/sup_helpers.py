"""Shared steps of the supervisor tests: an appliance-ready devnet config (executor deployed),
``arb-appliance run`` as a real process, and ``status --json`` read back."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from appliance.devnet import Devnet

SYMBOL_WETH = "WETH"
ROOT = Path(__file__).parents[3]
CLI = [sys.executable, "-m", "appliance"]


def start_run(config: Path, env: dict[str, str], **popen: Any) -> subprocess.Popen:
    """``arb-appliance run --config config`` as a real process, from the repository root."""
    return subprocess.Popen([*CLI, "run", "--config", str(config)], env=env, cwd=ROOT, **popen)


def status_json(config: Path) -> dict:
    """What ``arb-appliance status --json`` prints, parsed as strict JSON (no NaN: jq, scripts
    read it); a ValueError when it printed none."""
    out = subprocess.run(
        [*CLI, "status", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return json.loads(out.stdout, parse_constant=_strict)


def _strict(name: str):
    raise ValueError(f"status --json printed {name}, which is not JSON")


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
