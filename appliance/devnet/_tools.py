"""Where the devnet's external pieces live: the Anvil binary and the npm Uniswap V2 artifacts.

Nothing third-party is vendored: `make setup` installs the pinned npm packages into
``tools/node_modules`` (git-ignored), and this module only finds and reads them.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from appliance.devnet.errors import AnvilMissing, ArtifactMissing

__all__ = ["ENV_ANVIL", "anvil_binary", "load_artifact", "repo_root", "tools_dir"]

ENV_ANVIL = "ARB_ANVIL"
ENV_TOOLS = "ARB_TOOLS_DIR"

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def repo_root() -> Path:
    """The checkout this package was imported from (``appliance/devnet/`` is two levels down)."""
    return Path(__file__).resolve().parents[2]


def tools_dir() -> Path:
    """``tools/node_modules`` of the checkout, or ``$ARB_TOOLS_DIR`` when set."""
    env = os.environ.get(ENV_TOOLS)
    return Path(env) if env else repo_root() / "tools" / "node_modules"


def anvil_binary() -> Path:
    """The Anvil executable: ``$ARB_ANVIL``, else the npm ``@foundry-rs/anvil-linux-<arch>`` build.

    Raises:
        AnvilMissing: with one line telling the operator what to run.
    """
    env = os.environ.get(ENV_ANVIL)
    if env:
        path = Path(env)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise AnvilMissing(
            f"anvil not found at ${ENV_ANVIL}={env!r}: run `make setup` (needs Node.js/npm)"
        )
    machine = platform.machine().lower()
    arch = _ARCH.get(machine)
    if arch is None:
        raise AnvilMissing(f"anvil has no build for machine {machine!r} (linux amd64/arm64 only)")
    path = tools_dir() / "@foundry-rs" / f"anvil-linux-{arch}" / "bin" / "anvil"
    if path.is_file() and os.access(path, os.X_OK):
        return path
    raise AnvilMissing("anvil not found: run `make setup` (needs Node.js/npm)")


def load_artifact(package: str, name: str) -> tuple[list[dict[str, Any]], bytes]:
    """``(abi, creation bytecode)`` of ``@uniswap/<package>/build/<name>.json``."""
    path = tools_dir() / "@uniswap" / package / "build" / f"{name}.json"
    try:
        data = json.loads(path.read_text())
        abi = data["abi"]
        code = data.get("bytecode") or data["evm"]["bytecode"]["object"]
        return abi, bytes.fromhex(code.removeprefix("0x"))
    except FileNotFoundError:
        raise ArtifactMissing(
            f"contract artifact {str(path)!r} not found: run `make setup` (needs Node.js/npm)"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactMissing(f"contract artifact {str(path)!r} is unreadable: {exc}") from None
