"""The executor's constructor arguments: the config's one V3 factory and the pool init-code hash."""

from __future__ import annotations

import pytest
from eth_abi import decode

from appliance.config import DexConfig
from appliance.execution.deploy import (
    UNISWAP_V3_POOL_INIT_CODE_HASH,
    constructor_args,
    v3_factory_of,
)
from appliance.execution.errors import ExecutionError

V2 = "0x1111111111111111111111111111111111111111"
V3A = "0x2222222222222222222222222222222222222222"
V3B = "0x3333333333333333333333333333333333333333"


def _dex(name: str, factory: str, kind: str = "uniswap_v2") -> DexConfig:
    tiers = (500, 3000) if kind == "uniswap_v3" else ()
    return DexConfig(name=name, factory=factory, kind=kind, fee_tiers=tiers)


def test_the_v3_factory_comes_from_the_uniswap_v3_dex():
    assert v3_factory_of((_dex("uni", V2),)) is None
    assert v3_factory_of((_dex("uni", V2), _dex("v3", V3A, "uniswap_v3"))) == V3A


def test_two_different_v3_factories_are_refused_naming_them():
    dexes = (_dex("v3a", V3A, "uniswap_v3"), _dex("v3b", V3B, "uniswap_v3"))
    with pytest.raises(ExecutionError, match="v3a, v3b"):
        v3_factory_of(dexes)


def test_constructor_args_encode_factory_and_hash():
    factory, code_hash = decode(["address", "bytes32"], constructor_args(V3A))
    assert factory == V3A and "0x" + code_hash.hex() == UNISWAP_V3_POOL_INIT_CODE_HASH
    factory, _ = decode(["address", "bytes32"], constructor_args(None))
    assert int(factory, 16) == 0  # no V3 factory: every V3 leg reverts on chain
    with pytest.raises(ValueError, match="init-code hash"):
        constructor_args(V3A, "0x1234")
