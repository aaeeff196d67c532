"""The devnet's own ERC-20 (``contracts/token.vy``) and its committed compiled artifact.

The artifact ``contracts/token.json`` is committed so that starting a devnet does not need
the Vyper compiler; a unit test recompiles the source and checks that it still matches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["TOKEN_ARTIFACT", "TOKEN_SOURCE", "compile_token", "load_token"]

_HERE = Path(__file__).resolve().parent / "contracts"
TOKEN_SOURCE = _HERE / "token.vy"
TOKEN_ARTIFACT = _HERE / "token.json"


def compile_token() -> dict[str, Any]:
    """Compile ``token.vy`` now (needs the ``vyper`` package): ``{"abi", "bytecode", "vyper"}``."""
    import vyper

    out = vyper.compile_code(TOKEN_SOURCE.read_text(), output_formats=["abi", "bytecode"])
    return {"vyper": vyper.__version__, "abi": out["abi"], "bytecode": out["bytecode"]}


def load_token() -> tuple[list[dict[str, Any]], bytes]:
    """``(abi, creation bytecode)`` from the committed artifact."""
    data = json.loads(TOKEN_ARTIFACT.read_text())
    return data["abi"], bytes.fromhex(data["bytecode"].removeprefix("0x"))


if __name__ == "__main__":  # regenerate: python -m appliance.devnet._token
    TOKEN_ARTIFACT.write_text(json.dumps(compile_token(), indent=1) + "\n")
