"""MarketState: pools by id, exact and float reserves in step, undo log, deny list."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.events import PoolInfo, PoolsDiscovered, ReservesUpdated, TokenInfo
from appliance.market import MarketState, ReorgTooDeep

A, B, C = "0xA", "0xB", "0xC"


def _pools() -> PoolsDiscovered:
    tokens = tuple(TokenInfo(t, t[2:], 18) for t in (A, B, C))
    return PoolsDiscovered(
        tokens,
        (
            PoolInfo("0xP1", "uni", A, B, 30),
            PoolInfo("0xP2", "sushi", A, B, 25),
            PoolInfo("0xP3", "uni", B, C, 30),
        ),
    )


def _upd(block: int, **reserves: tuple[int, int]) -> ReservesUpdated:
    return ReservesUpdated(block, f"0x{block:064x}", {f"0x{k}": v for k, v in reserves.items()})


def test_pools_get_dense_ids_and_a_token_graph():
    st = MarketState()
    assert st.set_pools(_pools()) == [0, 1, 2]
    assert st.set_pools(_pools()) == []  # known pools are kept
    assert st.n_pools == 3
    assert st.pools_between(B, A) == [0, 1]
    assert st.pools_between(A, C) == []
    assert st.fee_bps.tolist() == [30, 25, 30]
    assert st.token0.tolist() == [st.token_ids[A], st.token_ids[A], st.token_ids[B]]


def test_apply_reports_only_changes_and_keeps_floats_in_step():
    st = MarketState()
    st.set_pools(_pools())
    changed = st.apply(_upd(10, P1=(10**30, 5), P3=(7, 8), Q9=(1, 1)))  # Q9 unknown: ignored
    assert changed.tolist() == [0, 2]
    assert st.reserve0[0] == 10**30 and st.r0[0] == float(10**30)
    assert st.apply(_upd(11, P1=(10**30, 5))).tolist() == []
    assert st.reserves(2, C) == (8, 7)


def test_rollback_restores_the_exact_reserves_of_the_common_ancestor():
    st = MarketState()
    st.set_pools(_pools())
    st.apply(_upd(10, P1=(100, 200), P2=(300, 400)))
    st.apply(_upd(11, P1=(101, 199)))
    st.apply(_upd(12, P1=(102, 198), P3=(5, 6)))
    st.apply(_upd(12, P1=(103, 197)))  # a second update of block 12 (full refresh)
    restored = st.rollback(10)
    assert restored.tolist() == [0, 2]
    assert (st.reserve0[0], st.reserve1[0]) == (100, 200)
    assert (st.reserve0[2], st.reserve1[2]) == (0, 0)
    assert st.r0[0] == 100.0 and st.block == 10
    assert st.rollback(10).tolist() == []


def test_a_reorg_deeper_than_the_window_is_refused():
    st = MarketState(undo_blocks=4)
    st.set_pools(_pools())
    for b in range(1, 10):
        st.apply(_upd(b, P1=(100 + b, 200)))
    st.rollback(6)  # blocks 7..9 are in the window
    assert st.reserve0[0] == 106
    with pytest.raises(ReorgTooDeep, match="block 2"):
        st.rollback(2)
    st.clear_reserves()
    assert st.reserve0 == [0, 0, 0] and not st.r0.any()


def test_deny_masks_pools_and_bumps_the_version():
    st = MarketState()
    st.set_pools(_pools())
    v = st.version
    assert st.deny(C, "fee_on_transfer")
    assert not st.deny(C, "again")
    assert st.version == v + 1
    assert st.active_pools().tolist() == [True, True, False]


def test_remove_pools_compacts_ids():
    st = MarketState()
    st.set_pools(_pools())
    st.apply(_upd(1, P3=(5, 6)))
    st.remove_pools(["0xP2"])
    assert [p.address for p in st.pools] == ["0xP1", "0xP3"]
    assert st.pool_ids["0xP3"] == 1 and st.reserve0[1] == 5
    assert np.array_equal(st.fee_bps, [30, 30])
