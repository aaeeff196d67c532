"""Pool kinds: the registry, and the V3 kind as the market state and the strategy see it.

Ground truth for V3 is :func:`appliance.market.v3math.swap` on the whole pool; the market
state's V3 pools must quote exactly that, show the screen the pool's own price, follow Swap /
Mint / Burn logs, and forget what a reorg might have changed.
"""

from __future__ import annotations

import pytest
from eth_abi import encode

from appliance.events import PoolInfo, PoolsDiscovered, PoolStatesUpdated, ReservesUpdated
from appliance.market import MarketState
from appliance.market.kinds import KINDS, PoolKind, UnknownPoolKind, pool_kind
from appliance.market.kinds.uniswap_v3 import POOL_CREATED_TOPIC, V3Tracker, virtual_reserves
from appliance.market.v3math import (
    MAX_SQRT_RATIO,
    MIN_SQRT_RATIO,
    V3PoolState,
    get_sqrt_ratio_at_tick,
    swap,
)
from appliance.market.v3state import BURN_TOPIC, MINT_TOPIC, SWAP_TOPIC
from tests.unit.market.kinds_helpers import TOKEN_A, TOKEN_B, snapshot, two_pool_market

V2 = "0x" + "2" * 40
V3 = "0x" + "3" * 40
E18 = 10**18
POSITIONS = [(-887220, 887220, 10 * E18), (-600, 600, 5 * E18), (-60, 120, 3 * E18)]


def _word(value: int) -> str:
    return (value % 2**256).to_bytes(32, "big").hex()


def _swap_log(price: int, liquidity: int, tick: int) -> tuple[str, tuple[str, ...], str]:
    data = "0x" + _word(-5) + _word(7) + _word(price) + _word(liquidity) + _word(tick)
    return (V3, (SWAP_TOPIC, "0x" + "0" * 64, "0x" + "0" * 64), data)


def _state(market: MarketState) -> V3PoolState:
    return market.held[market.pool_ids[V3]].state


def _market() -> MarketState:
    market = MarketState()
    market.set_pools(two_pool_market(V3, V2))
    market.apply(ReservesUpdated(1, "0x01", {V2: (100 * E18, 101 * E18)}))
    snap = snapshot(60, get_sqrt_ratio_at_tick(0) + 777, POSITIONS)
    market.apply_states(PoolStatesUpdated(1, "0x01", {V3: snap}, full=True))
    return market


def test_registry_names_each_kind_once_and_refuses_an_unknown_one() -> None:
    assert set(KINDS) == {"uniswap_v2", "uniswap_v3"}
    for name, kind in KINDS.items():
        assert kind.name == name and isinstance(kind, PoolKind)  # every method of the interface
        assert kind.state_topics and kind.created_topic.startswith("0x")
    with pytest.raises(UnknownPoolKind, match="solidly"):
        pool_kind("solidly")
    market = MarketState()
    bad = PoolsDiscovered((), (PoolInfo(V3, "x", TOKEN_A, TOKEN_B, 30, "solidly"),))
    with pytest.raises(UnknownPoolKind):
        market.set_pools(bad)


def test_v3_pool_shows_the_screen_its_price_and_in_range_depth() -> None:
    market = _market()
    pid = market.pool_ids[V3]
    state = _state(market)
    r0, r1 = market.reserve0[pid], market.reserve1[pid]
    price = (state.sqrt_price_x96 / 2**96) ** 2
    assert r1 / r0 == pytest.approx(price, rel=1e-12)
    assert (r0 * r1) ** 0.5 == pytest.approx(state.liquidity, rel=1e-12)
    assert (market.r0[pid], market.r1[pid]) == (float(r0), float(r1))
    # a small swap's marginal rate is the virtual V2 pool's (before the fee)
    out = swap(state, True, 10**12).amount1
    assert -out / 10**12 == pytest.approx(r1 / r0 * (1 - 0.003), rel=1e-5)


@pytest.mark.parametrize("zero_for_one", [True, False])
def test_v3_quoter_is_the_pool_swap_and_refuses_partial_fills(zero_for_one: bool) -> None:
    market = _market()
    pid = market.pool_ids[V3]
    state = _state(market)
    quote = pool_kind("uniswap_v3").quoter(market, pid, zero_for_one)
    for amount in (1, 10**9, 10**17, 3 * E18):
        r = swap(state, zero_for_one, amount)
        out = -(r.amount1 if zero_for_one else r.amount0)
        assert quote(amount) == (out if out > 0 else None)
    assert quote(0) is None
    assert quote(10**40) is None  # leaves the fetched window: refused, never guessed
    assert pool_kind("uniswap_v3").hop(market, pid, zero_for_one) is None
    assert pool_kind("uniswap_v2").hop(market, market.pool_ids[V2], zero_for_one) is not None


def test_logs_move_the_state_and_the_screened_reserves() -> None:
    market = _market()
    pid = market.pool_ids[V3]
    moved = swap(_state(market), True, 2 * E18)
    changed = market.apply_states(
        PoolStatesUpdated(
            2, "0x02", {}, (_swap_log(moved.sqrt_price_x96, moved.liquidity, moved.tick),)
        )
    )
    assert changed.tolist() == [pid]
    state = _state(market)
    assert (state.sqrt_price_x96, state.tick, state.liquidity) == (
        moved.sqrt_price_x96, moved.tick, moved.liquidity,
    )  # fmt: skip
    assert (market.reserve0[pid], market.reserve1[pid]) == virtual_reserves(market.held[pid])
    # Mint over the price adds in-range liquidity; the Burn takes it back
    topics = (MINT_TOPIC, "0x" + "0" * 64, "0x" + _word(-6000), "0x" + _word(6000))
    mint = (V3, topics, "0x" + _word(0) + _word(E18) + _word(1) + _word(1))
    market.apply_states(PoolStatesUpdated(3, "0x03", {}, (mint,)))
    assert _state(market).liquidity == moved.liquidity + E18
    burn = (V3, (BURN_TOPIC, *topics[1:]), "0x" + _word(E18) + _word(1) + _word(1))
    market.apply_states(PoolStatesUpdated(4, "0x04", {}, (burn,)))
    assert _state(market).liquidity == moved.liquidity


def test_a_reorg_forgets_v3_state_until_the_next_snapshot() -> None:
    market = _market()
    pid = market.pool_ids[V3]
    market.apply(ReservesUpdated(2, "0x02", {V2: (90 * E18, 111 * E18)}))
    touched = market.rollback(1)
    assert set(touched.tolist()) == {pid, market.pool_ids[V2]}
    assert pid not in market.held and (market.reserve0[pid], market.reserve1[pid]) == (0, 0)
    assert market.reserves(market.pool_ids[V2], TOKEN_A) == (100 * E18, 101 * E18)
    assert pool_kind("uniswap_v3").quoter(market, pid, True)(10**9) is None


def test_removing_a_pool_keeps_the_v3_state_with_its_pool() -> None:
    market = _market()
    state = _state(market)
    market.remove_pools([V2])
    assert market.pool_ids[V3] == 0 and market.held[0].state is state


def test_a_bad_snapshot_leaves_the_pool_unknown() -> None:
    market = _market()
    snap = snapshot(60, get_sqrt_ratio_at_tick(0), POSITIONS)
    snap.ticks.pop(next(iter(snap.ticks)))  # a set bit without its tick data
    market.apply_states(PoolStatesUpdated(2, "0x02", {V3: snap}, full=True))
    assert market.pool_ids[V3] not in market.held
    assert market.reserve0[market.pool_ids[V3]] == 0


def test_tracker_asks_for_a_new_window_once_the_price_leaves_its_inner_words() -> None:
    tracker = V3Tracker(radius=2)
    tracker.windows[V3] = [-2, 2, 60, 0]
    near = get_sqrt_ratio_at_tick(60 * 256 + 5)  # the next word: still inside
    far = get_sqrt_ratio_at_tick(60 * 256 * 2 + 5)  # an edge word: read again
    assert tracker.stale([_swap_log(near, E18, 60 * 256 + 5)]) == []
    assert tracker.stale([_swap_log(far, E18, 60 * 512 + 5)]) == [V3]
    assert tracker.stale([_swap_log(far, E18, -60 * 512 - 5)]) == [V3]
    assert MIN_SQRT_RATIO < near < far < MAX_SQRT_RATIO


def test_pool_created_logs_are_kept_for_configured_tiers_only() -> None:
    class Dex:
        fee_tiers = (500, 3000)

    kind = pool_kind("uniswap_v3")
    topics = ["0x" + "0" * 24 + TOKEN_A[2:], "0x" + "0" * 24 + TOKEN_B[2:]]
    data = encode(["int24", "address"], [60, V3])
    found = kind.decode_created(Dex, [POOL_CREATED_TOPIC, *topics, "0x" + _word(3000)], data)
    assert found is not None
    assert (found[0].lower(), found[1].lower(), found[2].lower(), found[3]) == (
        TOKEN_A, TOKEN_B, V3, 30,
    )  # fmt: skip
    assert kind.decode_created(Dex, [POOL_CREATED_TOPIC, *topics, "0x" + _word(100)], data) is None
    assert kind.decode_created(Dex, [POOL_CREATED_TOPIC, *topics], data) is None
