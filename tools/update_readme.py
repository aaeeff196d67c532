"""Regenerate the config reference in README.md from the schema (``python tools/update_readme.py``)."""

from pathlib import Path

from appliance.config.reference import reference_markdown

START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def render(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{reference_markdown()}\n{END}{tail}"


if __name__ == "__main__":
    readme = Path(__file__).resolve().parents[1] / "README.md"
    readme.write_text(render(readme.read_text()))
