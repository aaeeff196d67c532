"""Finding Anvil and the npm artifacts; one-line errors when they are missing."""

from __future__ import annotations

import pytest

from appliance.devnet import AnvilMissing, ArtifactMissing, anvil_binary, load_artifact
from appliance.devnet.service import first_appliance_error
from appliance.errors import ToolMissing


def test_anvil_env_override_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("ARB_ANVIL", str(tmp_path / "nope"))
    with pytest.raises(AnvilMissing) as info:
        anvil_binary()
    assert isinstance(info.value, ToolMissing) and info.value.exit_code == 2
    assert "make setup" in str(info.value) and "\n" not in str(info.value)


def test_anvil_missing_from_tools(monkeypatch, tmp_path):
    monkeypatch.delenv("ARB_ANVIL", raising=False)
    monkeypatch.setenv("ARB_TOOLS_DIR", str(tmp_path))
    with pytest.raises(
        AnvilMissing, match=r"anvil not found: run `make setup` \(needs Node.js/npm\)"
    ):
        anvil_binary()


def test_anvil_found_in_tools(monkeypatch):
    monkeypatch.delenv("ARB_ANVIL", raising=False)
    monkeypatch.delenv("ARB_TOOLS_DIR", raising=False)
    path = anvil_binary()
    assert path.name == "anvil" and "anvil-linux-" in str(path)


def test_artifact_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("ARB_TOOLS_DIR", str(tmp_path))
    with pytest.raises(ArtifactMissing, match=r"UniswapV2Factory\.json"):
        load_artifact("v2-core", "UniswapV2Factory")


def test_artifact_loads():
    abi, code = load_artifact("v2-periphery", "UniswapV2Router02")
    assert any(e.get("name") == "getAmountsOut" for e in abi)
    assert len(code) > 1000


def test_first_appliance_error_unwraps_groups():
    inner = AnvilMissing("x")
    group = BaseExceptionGroup("g", [ExceptionGroup("h", [ValueError("v"), inner])])
    assert first_appliance_error(group) is inner
    plain = ExceptionGroup("g", [ValueError("v")])
    assert first_appliance_error(plain) is plain
