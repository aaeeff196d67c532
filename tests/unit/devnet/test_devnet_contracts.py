"""Every committed devnet contract artifact is what its Vyper source compiles to today."""

from __future__ import annotations

import json

import pytest

from appliance.devnet._contracts import CONTRACT_NAMES, CONTRACTS_DIR, compile_contract


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_devnet_artifact_matches_its_source(name):
    committed = json.loads((CONTRACTS_DIR / f"{name}.json").read_text())
    assert committed == compile_contract(name)
