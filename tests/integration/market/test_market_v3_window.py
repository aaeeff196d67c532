"""V3PoolWindow on the real pools: fetched from the chain, then kept current from the logs of
real swaps, mints and burns on Anvil — it must equal the pool read back after every action,
and its quotes must equal QuoterV2's wherever it answers."""

from __future__ import annotations

import random

import pytest
import trio

from appliance.market.v3math import OutsideTickWindow, V3SwapError, get_sqrt_ratio_at_tick

pytestmark = [pytest.mark.devnet, pytest.mark.xdist_group("devnet_v3")]  # one V3 devnet


def test_window_follows_real_logs_exactly(devnet_v3) -> None:
    v3 = devnet_v3.v3
    rng = random.Random(1616)

    async def run() -> tuple[int, int, int]:
        applied = refetched = quoted = 0
        for pool in v3.pools:
            window = await v3.read_window(pool, radius=2)
            minted: list[tuple[int, int, int]] = []
            for _ in range(6):
                if window.needs_refetch:
                    window = await v3.read_window(pool, radius=2)
                    refetched += 1
                spacing = pool.tick_spacing
                kind = rng.choice(["swap", "swap", "mint", "burn"])
                if kind == "mint" or (kind == "burn" and not minted):
                    lower = (window.tick // spacing + rng.randint(-30, 20)) * spacing
                    upper = lower + rng.randint(1, 25) * spacing
                    amount = max(1, window.liquidity // rng.randint(2, 20))
                    receipt = await v3.mint(pool, lower, upper, amount)
                    minted.append((lower, upper, amount))
                elif kind == "burn":
                    lower, upper, amount = minted.pop(rng.randrange(len(minted)))
                    receipt = await v3.burn(pool, lower, upper, amount)
                else:
                    zero_for_one = rng.random() < 0.5
                    reach = rng.choice([1, 5, 40]) * spacing
                    target = window.tick - reach if zero_for_one else window.tick + reach
                    receipt = await v3.swap(
                        pool, zero_for_one, 2**200, get_sqrt_ratio_at_tick(target)
                    )
                for log in receipt["logs"]:
                    if log["address"].lower() == pool.address.lower():
                        applied += window.apply_log(log["topics"], log["data"])
                truth = await v3.read_window(
                    pool, words=range(window.low_word, window.high_word + 1)
                )
                assert (window.sqrt_price_x96, window.tick, window.liquidity) == (
                    truth.sqrt_price_x96,
                    truth.tick,
                    truth.liquidity,
                )
                assert dict(window.state.ticks) == dict(truth.state.ticks)
                quoted += await _quotes_agree(v3, pool, window, rng)
        return applied, refetched, quoted

    applied, _refetched, quoted = trio.run(run)
    assert applied >= 30 and quoted >= 30


async def _quotes_agree(v3, pool, window, rng: random.Random) -> int:
    requests, mine = [], []
    for _ in range(6):
        zero_for_one, exact_input = rng.random() < 0.5, rng.random() < 0.5
        amount = max(1, window.liquidity // 10 ** rng.randint(3, 9))
        try:
            answer = (
                window.quote_exact_input(zero_for_one, amount)
                if exact_input
                else window.quote_exact_output(zero_for_one, amount)
            )
        except OutsideTickWindow:
            continue
        except V3SwapError:
            answer = None
        requests.append((pool, zero_for_one, exact_input, amount, 0))
        mine.append(answer)
    answers = await v3.quotes(requests)
    assert mine == [a[0] if a else None for a in answers]
    return len(requests)
