"""The executor contract: its Vyper source and the committed compiled artifact.

The appliance deploys from the committed ``contracts/executor.json`` (the Pi needs no compiler);
a unit test recompiles ``contracts/executor.vy`` and checks both agree, so the artifact can never
drift from the reviewed source. Regenerate after editing the source with::

    .venv/bin/python -c "from appliance.execution.artifact import write_artifact; write_artifact()"
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from appliance.execution.errors import ArtifactError

__all__ = [
    "COMPILER",
    "ExecutorArtifact",
    "compile_source",
    "load_artifact",
    "source_text",
    "write_artifact",
]

COMPILER = "vyper 0.4.3"
_PKG = "appliance.execution"


@dataclass(frozen=True, slots=True)
class ExecutorArtifact:
    abi: tuple[dict[str, Any], ...]
    bytecode: bytes  # init code

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "contract": "executor",
                    "compiler": COMPILER,
                    "abi": list(self.abi),
                    "bytecode": "0x" + self.bytecode.hex(),
                },
                indent=1,
                sort_keys=True,
            )
            + "\n"
        )


def source_text() -> str:
    return resources.files(_PKG).joinpath("contracts", "executor.vy").read_text()


def load_artifact() -> ExecutorArtifact:
    try:
        raw = resources.files(_PKG).joinpath("contracts", "executor.json").read_text()
        data = json.loads(raw)
        return ExecutorArtifact(
            abi=tuple(data["abi"]), bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x"))
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"executor artifact unreadable: {exc}") from None


def compile_source() -> ExecutorArtifact:
    """Compile the Vyper source (needs the dev dependency ``vyper``)."""
    import vyper  # dev dependency only

    if not COMPILER.endswith(vyper.__version__):
        raise ArtifactError(f"need {COMPILER}, found vyper {vyper.__version__!r}")
    out = vyper.compile_code(
        source_text(), contract_path="executor.vy", output_formats=["abi", "bytecode"]
    )
    return ExecutorArtifact(
        abi=tuple(out["abi"]), bytecode=bytes.fromhex(out["bytecode"].removeprefix("0x"))
    )


def write_artifact() -> None:
    """Recompile and overwrite the committed artifact (a developer tool: needs a source tree)."""
    path = Path(str(resources.files(_PKG).joinpath("contracts", "executor.json")))
    path.write_text(compile_source().to_json())
