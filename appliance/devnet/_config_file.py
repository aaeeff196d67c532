"""Write ``devnet.key`` (0600) and an ``arb-appliance.toml`` that ``load_config`` accepts."""

from __future__ import annotations

import json
import os
from pathlib import Path

from appliance.devnet._deploy import Deployment
from appliance.devnet._v3_market import V3Market
from appliance.devnet.anvil import free_port

__all__ = ["CONFIG_NAME", "KEY_NAME", "V3_DEX_NAME", "endpoint_pair", "write_config", "write_key"]

CONFIG_NAME = "arb-appliance.toml"
KEY_NAME = "devnet.key"
BASE_SYMBOLS = ("WETH", "USDC")
V3_DEX_NAME = "uniswap_v3"


def write_key(data_dir: Path, private_key: str) -> Path:
    """Create ``<data_dir>/devnet.key`` with mode 0600 from the start (no window at 0644)."""
    path = data_dir / KEY_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (private_key + "\n").encode())
    finally:
        os.close(fd)
    return path


def endpoint_pair(rpc: str) -> str:
    """The ``chain.rpc`` entry for a local Anvil: HTTP for requests, WebSocket (Anvil serves it
    on its HTTP port) for the heads and Sync logs subscriptions."""
    return f"{rpc}|ws://{rpc.split('://', 1)[1]}"


def _q(value: object) -> str:
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def write_config(
    data_dir: Path,
    *,
    rpc: str,
    chain_id: int,
    deployment: Deployment,
    key_file: Path,
    block_time: float | None,
    seed: int,
    v3: V3Market | None = None,
    risk: dict[str, int] | None = None,
) -> Path:
    """``risk``: ``[risk]`` settings to write (the owner's limits of a devnet with mainnet-like
    gas, :meth:`~appliance.devnet.gas.DevnetGas.owner_limits`); None: the defaults."""
    tokens = deployment.tokens
    lines = [
        f"# Written by `arb-appliance devnet` (seed {seed}). Local Anvil market; paper trading.",
        "",
        "[chain]",
        f"chain_id = {chain_id}",
        "# requests over HTTP, heads and Sync logs streamed over the WebSocket (polling is the",
        '# fallback); a plain "http://..." entry polls only',
        f"rpc = [{_q(endpoint_pair(rpc))}]",
        f"block_time_s = {block_time if block_time is not None else 0.5:g}",
        "",
        "[account]",
        f"key_file = {_q(key_file)}",
        "",
    ]
    for dex in deployment.dexes:
        lines += [
            "[[dex]]",
            f"name = {_q(dex.name)}",
            f"factory = {_q(dex.factory)}",
            f"fee_bps = {dex.fee_bps}",
            f"router = {_q(dex.router)}",
            "",
        ]
    if v3 is not None:
        lines += [
            "[[dex]]",
            f"name = {_q(V3_DEX_NAME)}",
            'kind = "uniswap_v3"',
            f"factory = {_q(v3.factory)}",
            f"fee_tiers = [{', '.join(str(f) for f in sorted({p.fee for p in v3.pools}))}]",
            "",
        ]
    lines += [
        "[tokens]",
        f"base = [{', '.join(_q(tokens[s].address) for s in BASE_SYMBOLS)}]",
        "allow = [",
        *[f"    {_q(t.address)},  # {t.symbol}" for t in tokens.values()],
        "]",
        "",
        "[strategy]",
        'mode = "paper"',
        "",
        *(["[risk]", *[f"{k} = {v}" for k, v in risk.items()], ""] if risk else []),
        "[storage]",
        f"data_dir = {_q(data_dir / 'data')}",
        f"runtime_dir = {_q(data_dir / 'run')}",
        "",
        "[hardware]",
        "enabled = true",
        "",
        "[metrics]",
        'host = "127.0.0.1"',
        f"port = {free_port()}",
        "",
    ]
    path = data_dir / CONFIG_NAME
    path.write_text("\n".join(lines))
    return path
