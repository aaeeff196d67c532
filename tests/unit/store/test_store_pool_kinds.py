"""The journal keeps each pool's kind (migration 4), and the discovery cache restores it.

An opportunity's ``path`` names its pools; ``pools.kind`` tells which legs are V3. A journal of
an older release (before migration 4) upgrades in place, its pools read as V2 (all they could
be then), and a V2-only config keeps its discovery-cache fingerprint across the upgrade.
"""

from __future__ import annotations

import hashlib
import json

import appliance.store.journal as journal_module
from appliance.config import (
    AppConfig,
    ChainConfig,
    DexConfig,
    StorageConfig,
    TokensConfig,
)
from appliance.pool_cache import STATE_KEY, _cached, fingerprint
from appliance.store.journal import Journal
from appliance.store.schema import MIGRATIONS

A = "0x" + "a" * 40
B = "0x" + "b" * 40
V2 = "0x" + "2" * 40
V3 = "0x" + "3" * 40


def _cfg(tmp_path, *dexes: DexConfig) -> AppConfig:
    return AppConfig(
        chain=ChainConfig(chain_id=1, rpc=("http://127.0.0.1:8545",)),
        dex=dexes,
        tokens=TokensConfig(base=(A,), allow=(B,)),
        storage=StorageConfig(data_dir=tmp_path / "data"),
    )


V2_DEX = DexConfig(name="uni", factory="0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f", fee_bps=30)
V3_DEX = DexConfig(
    name="univ3",
    factory="0x1F98431c8aD98523631AE4a59f267346ea31F984",
    kind="uniswap_v3",
    fee_tiers=(500, 3000),
)


def test_an_older_journal_upgrades_and_its_pools_are_v2(tmp_path, monkeypatch) -> None:
    path = tmp_path / "journal.sqlite"
    monkeypatch.setattr(journal_module, "MIGRATIONS", MIGRATIONS[:3])  # the previous release
    with Journal(path) as j:
        j.conn.execute(
            "INSERT INTO pools (id, address, dex, token0, token1, fee_bps, discovered_at) "
            "VALUES (1, ?, 'uni', ?, ?, 30, 0)",
            (V2, A, B),
        )
    monkeypatch.setattr(journal_module, "MIGRATIONS", MIGRATIONS)
    with Journal(path) as j:
        assert j.conn.execute("SELECT kind FROM pools").fetchall() == [("uniswap_v2",)]
        j.upsert_pools(
            [(2, V3, "univ3", A, B, 5, "uniswap_v3"), (3, "0x" + "4" * 40, "", None, None, None)]
        )
        kinds = dict(j.conn.execute("SELECT address, kind FROM pools"))
    assert kinds == {V2: "uniswap_v2", V3: "uniswap_v3", "0x" + "4" * 40: "uniswap_v2"}


def test_the_discovery_cache_restores_each_pools_kind_and_fee(tmp_path) -> None:
    cfg = _cfg(tmp_path, V2_DEX, V3_DEX)
    path = tmp_path / "data" / "journal.sqlite"
    with Journal(path) as j:
        j.upsert_pools(
            [(1, V2, "uni", A, B, 30, "uniswap_v2"), (2, V3, "univ3", A, B, 5, "uniswap_v3")]
        )
        j.conn.execute("INSERT INTO tokens VALUES (?, 'A', 18), (?, 'B', 6)", (A, B))
        j.save_state(STATE_KEY, {"fingerprint": fingerprint(cfg), "block": 7})
    tokens, pools, block = _cached(cfg, path, fingerprint(cfg))
    assert block == 7 and len(tokens) == 2
    assert [(p.address, p.kind, p.fee_bps) for p in pools] == [
        (V2, "uniswap_v2", 30),
        (V3, "uniswap_v3", 5),
    ]
    # another set of tiers is another scan
    other = _cfg(tmp_path, V2_DEX, DexConfig(**{**V3_DEX.__dict__, "fee_tiers": (500,)}))
    assert fingerprint(other) != fingerprint(cfg)


def test_a_v2_only_config_keeps_its_fingerprint(tmp_path) -> None:
    cfg = _cfg(tmp_path, V2_DEX)
    before_v3 = {  # what the fingerprint hashed before pool kinds existed
        "chain_id": 1,
        "dex": [["uni", V2_DEX.factory, 30]],
        "tokens": sorted([A, B]),
    }
    expected = hashlib.sha256(json.dumps(before_v3, sort_keys=True).encode()).hexdigest()
    assert fingerprint(cfg) == expected
