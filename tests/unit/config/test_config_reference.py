"""The README's config reference is the schema's own (regenerate: python tools/update_readme.py)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).parents[3]


def test_readme_reference_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("update_readme", ROOT / "tools/update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "README.md").read_text()
    assert module.render(text) == text, (
        "README config reference is stale: run python tools/update_readme.py"
    )
