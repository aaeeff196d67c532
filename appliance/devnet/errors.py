"""Errors of the local devnet (Anvil + Uniswap V2 market).

::

    DevnetError(ApplianceError)              the devnet could not be started or driven (exit 1)
    ├── AnvilMissing(DevnetError, ToolMissing)   anvil binary absent: run `make setup` (exit 2)
    ├── ArtifactMissing(DevnetError, ToolMissing) an npm contract artifact is absent (exit 2)
    ├── PortBusy(DevnetError, UserError)      the requested port is taken (exit 2)
    ├── AnvilFailed(DevnetError)              Anvil exited early or never answered; quotes its stderr
    ├── InitCodeHashMismatch(DevnetError)     the factory's pair bytecode is not the canonical one
    └── DevnetRpcError(DevnetError)           a JSON-RPC call failed or a transaction reverted

Everything here ends a devnet session; nothing is retried above the place that raised it
(AnvilNode retries a busy *random* port by itself before giving up).
"""

from __future__ import annotations

from appliance.errors import ApplianceError, ToolMissing, UserError

__all__ = [
    "AnvilFailed",
    "AnvilMissing",
    "ArtifactMissing",
    "DevnetError",
    "DevnetRpcError",
    "InitCodeHashMismatch",
    "PortBusy",
]


class DevnetError(ApplianceError):
    """The devnet cannot go on; the CLI prints one line and exits 1."""


class AnvilMissing(DevnetError, ToolMissing):
    """The Anvil binary is not installed where `make setup` puts it."""


class ArtifactMissing(DevnetError, ToolMissing):
    """A Uniswap V2 build artifact from npm is missing or unreadable."""


class PortBusy(DevnetError, UserError):
    """The port asked for is already in use."""


class AnvilFailed(DevnetError):
    """Anvil exited before it answered, or never answered ``eth_chainId``."""


class InitCodeHashMismatch(DevnetError):
    """The pair init-code hash of the factory artifact differs from the canonical one."""


class DevnetRpcError(DevnetError):
    """A JSON-RPC request failed, or a devnet transaction reverted."""
