"""The devnet's gas setting: one-line errors for nonsense, and the fee fields it hands out."""

from __future__ import annotations

import random

import pytest

from appliance.devnet.errors import DevnetError
from appliance.devnet.gas import DEMO_GAS, GWEI, DevnetGas


@pytest.mark.parametrize(
    "kwargs",
    [{"base_fee_wei": 0}, {"base_fee_wei": GWEI, "tip_min_wei": 2, "tip_max_wei": 1}],
)
def test_nonsense_is_refused_in_one_line(kwargs):
    with pytest.raises(DevnetError) as err:
        DevnetGas(**kwargs)
    assert "\n" not in str(err.value)


def test_trader_fees_are_seeded_within_the_range_and_clear_the_floor():
    fees = [DEMO_GAS.trader_fees(random.Random(7)) for _ in range(2)]
    assert fees[0] == fees[1]  # the same seed, the same fees
    rng = random.Random(1)
    for _ in range(200):
        f = DEMO_GAS.trader_fees(rng)
        tip, cap = int(f["maxPriorityFeePerGas"], 16), int(f["maxFeePerGas"], 16)
        assert DEMO_GAS.tip_min_wei <= tip <= DEMO_GAS.tip_max_wei
        assert cap == 2 * DEMO_GAS.base_fee_wei + tip


def test_anvil_starts_at_the_floor():
    assert DevnetGas.of_gwei(2.5).anvil_args() == ("--base-fee", str(2_500_000_000))
