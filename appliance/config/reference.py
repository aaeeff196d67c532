"""Print the config reference (every key, its default and meaning) as Markdown.

``python -m appliance.config.reference`` — the README's reference table is this output; a test
keeps them in step.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from appliance.config._model import AppConfig
from appliance.config._schema import iter_settings

__all__ = ["reference_markdown"]


def _default(f: dataclasses.Field) -> str:
    if f.default is dataclasses.MISSING:
        return "required"
    value = f.default
    if isinstance(value, Path):
        return f"`{value}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return "`[]`" if not value else f"`{list(value)}`"
    return f"`{value}`"


def reference_markdown() -> str:
    rows = ["| key | default | meaning |", "| --- | --- | --- |"]
    for key, f in iter_settings(AppConfig):
        if key == "path":
            continue
        doc = f.metadata.get("doc", "")
        rows.append(f"| `{key}` | {_default(f)} | {doc} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(reference_markdown())
