"""The devnet's own ERC-20 (``contracts/token.vy``): see :mod:`appliance.devnet._contracts`."""

from __future__ import annotations

from typing import Any

from appliance.devnet._contracts import CONTRACTS_DIR, compile_contract, load_contract

__all__ = ["TOKEN_ARTIFACT", "TOKEN_SOURCE", "compile_token", "load_token"]

TOKEN_SOURCE = CONTRACTS_DIR / "token.vy"
TOKEN_ARTIFACT = CONTRACTS_DIR / "token.json"


def compile_token() -> dict[str, Any]:
    """Compile ``token.vy`` now (needs the ``vyper`` package): ``{"abi", "bytecode", "vyper"}``."""
    return compile_contract("token")


def load_token() -> tuple[list[dict[str, Any]], bytes]:
    """``(abi, creation bytecode)`` from the committed artifact."""
    return load_contract("token")
