"""The V3 math against the real contracts: Uniswap's QuoterV2 and pools on Anvil, exactly.

The pools (all four fee tiers, several positions each across many ticks) are read back from
the chain — slot0, liquidity, every tick-bitmap word and the ``ticks(i)`` of each set bit — and
our quote from that state must equal the Quoter's answer to the wei, including where the Quoter
refuses (``None``). Then real swaps through the pool: our full swap result (deltas, price,
tick, liquidity) must equal what the pool did, and the state read back afterwards must match.
"""

from __future__ import annotations

import random

import pytest
import trio
from eth_abi import decode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.market.v3math import V3PoolState, V3SwapError, swap
from tests.integration.market.v3_cases import draw_request, local_quote, price_after

pytestmark = [pytest.mark.devnet, pytest.mark.xdist_group("devnet_v3")]  # one V3 devnet

SWAP_TOPIC = "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"
REQUESTS_PER_EXAMPLE = 20
OWNER_BUDGET = 10**26  # the pool owner wrapped 10^27 wei of WETH for V3 (other tokens: more)


@pytest.fixture(scope="module")
def v3_states(devnet_v3_session):
    """Each pool's state as read back from the chain (the session devnet is not mutated)."""
    v3 = devnet_v3_session.v3

    async def read():
        return {p.address: await v3.read_state(p) for p in v3.pools}

    return trio.run(read)


def test_the_devnet_has_every_fee_tier_with_many_ticks(devnet_v3_session, v3_states) -> None:
    v3 = devnet_v3_session.v3
    assert {p.fee for p in v3.pools} == {100, 500, 3000, 10000}
    for p in v3.pools:
        state = v3_states[p.address]
        assert state.tick_spacing == {100: 1, 500: 10, 3000: 60, 10000: 200}[p.fee]
        assert len(state.ticks) >= 10  # several positions, distinct ticks
        assert sum(state.ticks.values()) == 0  # every position adds at lower, removes at upper
        assert state.liquidity == sum(
            pos.liquidity for pos in p.positions if pos.tick_lower <= state.tick < pos.tick_upper
        )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**64))
def test_quotes_equal_the_real_quoter(devnet_v3_session, v3_states, seed: int) -> None:
    v3 = devnet_v3_session.v3
    rng = random.Random(seed)
    requests = []
    for _ in range(REQUESTS_PER_EXAMPLE):
        pool = rng.choice(v3.pools)
        requests.append(draw_request(rng, pool, v3_states[pool.address]))
    answers = trio.run(v3.quotes, requests)
    for request, answer in zip(requests, answers, strict=True):
        state = v3_states[request[0].address]
        mine = local_quote(state, request)
        assert mine == (answer[0] if answer else None), request[1:]
        if answer is not None:
            assert price_after(state, request) == answer[1], request[1:]


def _swap_event(receipt: dict, pool: str) -> tuple[int, int, int, int, int]:
    for log in receipt["logs"]:
        if log["address"].lower() == pool.lower() and log["topics"][0] == SWAP_TOPIC:
            data = bytes.fromhex(log["data"][2:])
            return decode(["int256", "int256", "uint160", "uint128", "int24"], data)
    raise AssertionError(f"no Swap event from {pool}")


def test_real_swaps_move_the_pool_exactly_as_predicted(devnet_v3) -> None:
    v3 = devnet_v3.v3
    rng = random.Random(16)

    async def run() -> int:
        states = {p.address: await v3.read_state(p) for p in v3.pools}
        done = 0
        for _ in range(40):
            pool = rng.choice(v3.pools)
            state = states[pool.address]
            _, zero_for_one, exact_input, amount, limit = draw_request(rng, pool, state)
            specified = amount if exact_input else -amount
            try:
                predicted = swap(state, zero_for_one, specified, limit or None)
            except V3SwapError:
                continue
            if (
                predicted.amount0 == predicted.amount1 == 0
                or max(predicted.amount0, predicted.amount1) > OWNER_BUDGET
            ):
                continue
            receipt = await v3.swap(pool, zero_for_one, specified, limit or None)
            amount0, amount1, price, liquidity, tick = _swap_event(receipt, pool.address)
            assert (amount0, amount1, price, tick, liquidity) == (
                predicted.amount0,
                predicted.amount1,
                predicted.sqrt_price_x96,
                predicted.tick,
                predicted.liquidity,
            )
            assert await v3.read_head(pool) == (price, tick, liquidity)
            states[pool.address] = V3PoolState(
                state.fee, state.tick_spacing, price, tick, liquidity, state.ticks
            )
            done += 1
        for pool in v3.pools:  # swaps move the price, never the ticks
            assert (await v3.read_state(pool)) == states[pool.address]
        return done

    assert trio.run(run) >= 25
