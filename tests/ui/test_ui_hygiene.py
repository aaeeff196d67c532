"""Import hygiene: the screen loads no trading, chain, hardware or Trio code; ``appliance`` no Textual."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN_FOR_UI = (
    "appliance.chain",
    "appliance.execution",
    "appliance.risk",
    "appliance.market",
    "appliance.strategy",
    "appliance.devnet",
    "appliance.supervisor",
    "hw",
    "trio",
    "web3",
    "gpiozero",
)


def _modules_after(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_ui_hygiene_ui_imports_no_trading_chain_hw_or_trio():
    loaded = _modules_after(
        "import ui, ui.app, ui.source, ui.status, ui.format, ui.messages, ui.screens, ui.widgets\n"
        "import ui.help, ui.screens.help, ui.widgets.spark, ui.widgets.columns, appliance.units"
    )
    assert "textual" in loaded and "ui.app" in loaded  # the probe itself works
    bad = [m for m in loaded if m.startswith(FORBIDDEN_FOR_UI)]
    assert bad == []


def test_ui_hygiene_brief_probe():
    code = (
        "import ui.app, sys; print(sorted(m for m in sys.modules if m.startswith(("
        "'appliance.chain','appliance.execution','appliance.risk','appliance.market',"
        "'appliance.strategy','hw','trio'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ui_hygiene_appliance_never_imports_textual():
    loaded = _modules_after(
        "import appliance, appliance.cli, appliance.commands.ui, appliance.store.reader\n"
        "import appliance.store.statefile, appliance.config\n"
        "appliance.cli.build_parser()"
    )
    assert "appliance.commands.ui" in loaded
    assert [m for m in loaded if m.startswith(("textual", "ui"))] == []


def test_ui_hygiene_the_shared_formatter_is_pure():
    """``appliance.units`` (screen, status, watchdog) pulls in nothing of the appliance."""
    before = set(_modules_after("pass"))
    loaded = set(_modules_after("import appliance.units"))
    assert sorted(m for m in loaded - before if m != "appliance") == ["appliance.units"]
