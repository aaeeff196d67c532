"""The devnet's own Vyper contracts (``contracts/<name>.vy``) and their committed artifacts.

Each artifact ``contracts/<name>.json`` is committed so that starting a devnet does not need
the Vyper compiler; a unit test recompiles every source and checks that it still matches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["CONTRACTS_DIR", "CONTRACT_NAMES", "compile_contract", "load_contract"]

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
CONTRACT_NAMES = ("token", "searcher")


def compile_contract(name: str) -> dict[str, Any]:
    """Compile ``<name>.vy`` now (needs the ``vyper`` package): ``{"abi", "bytecode", "vyper"}``."""
    import vyper

    source = (CONTRACTS_DIR / f"{name}.vy").read_text()
    out = vyper.compile_code(source, output_formats=["abi", "bytecode"])
    return {"vyper": vyper.__version__, "abi": out["abi"], "bytecode": out["bytecode"]}


def load_contract(name: str) -> tuple[list[dict[str, Any]], bytes]:
    """``(abi, creation bytecode)`` from the committed artifact of ``name``."""
    data = json.loads((CONTRACTS_DIR / f"{name}.json").read_text())
    return data["abi"], bytes.fromhex(data["bytecode"].removeprefix("0x"))


if __name__ == "__main__":  # regenerate every artifact: python -m appliance.devnet._contracts
    for _name in CONTRACT_NAMES:
        (CONTRACTS_DIR / f"{_name}.json").write_text(
            json.dumps(compile_contract(_name), indent=1) + "\n"
        )
