"""The bid is a share of the expected net, capped, and the net-profit check before signing counts
it (the priority fee in the price, a bundle's coinbase payment as a cost)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from appliance.config import load_config
from appliance.events import Candidate, Leg
from appliance.execution.bids import PAYING_GAS, coinbase_bid, tip_bid
from appliance.execution.fees import Fees
from appliance.execution.pipeline import Head, Pipeline
from appliance.safety import SafetyLatch

WETH, USDC = (
    "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
    "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
)
GWEI = 10**9
TOML = f"""
[chain]
chain_id = 1
rpc = ["http://127.0.0.1:1"]
[[dex]]
name = "uni"
factory = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"
[tokens]
base = ["{WETH}", "{USDC}"]
[execution]
submit = "bundle"
relays = ["http://127.0.0.1:2"]
coinbase_share = 0.5
bid_share = 0.25
[risk]
min_profit_bps = 0
"""


def _cand(base: str = WETH, gross: int = 10**16) -> Candidate:
    other = USDC if base == WETH else WETH
    legs = (
        Leg(pool="0x" + "1" * 40, token_in=base, token_out=other, fee_bps=30),
        Leg(pool="0x" + "2" * 40, token_in=other, token_out=base, fee_bps=30),
    )
    return Candidate(
        block=1,
        legs=legs,
        base_token=base,
        amount_in=10**18,
        amount_out=10**18 + gross,
        gas_estimate=200_000,
        gas_cost=200_000 * 10 * GWEI,
    )


def _pipe(tmp_path: Path) -> Pipeline:
    cfg_path = tmp_path / "c.toml"
    cfg_path.write_text(TOML)
    cfg = load_config(cfg_path)

    async def nothing(_u) -> None:
        return None

    return Pipeline(
        cfg,
        None,
        latch=SafetyLatch(tmp_path),
        write_ahead=nothing,
        emit=nothing,
        executor=WETH,
        sender=WETH,
        chain_id=1,
    )


def test_the_coinbase_payment_is_the_share_of_the_expected_net(tmp_path):
    pipe = _pipe(tmp_path)
    head = Head(number=5, base_fee=10 * GWEI)
    cand = _cand()
    net = cand.gross_profit - (cand.gas_estimate + PAYING_GAS) * (10 * GWEI + 1 * GWEI)
    assert coinbase_bid(pipe, cand, head) == net // 2
    assert coinbase_bid(pipe, _cand(USDC), head) == 0  # not the native coin: no payment
    assert coinbase_bid(pipe, _cand(gross=10**12), head) == 0  # nothing left to share
    public = SimpleNamespace(submit="public", ex=pipe.ex, native_token=WETH)
    assert coinbase_bid(public, cand, head) == 0


def test_the_tip_is_the_share_of_the_net_capped_by_max_fee(tmp_path):
    pipe = _pipe(tmp_path)
    head = Head(number=5, base_fee=10 * GWEI)
    fees = Fees(max_fee=21 * GWEI, tip=1 * GWEI)
    bid = tip_bid(pipe, _cand(), 10**16, 200_000, fees, head)
    net_at_base = 10**16 - 200_000 * 10 * GWEI
    assert bid.tip == net_at_base // 4 // 200_000 and bid.max_fee == 2 * 10 * GWEI + bid.tip
    capped = tip_bid(pipe, _cand(), 10**19, 200_000, fees, head)
    assert capped.tip == 200 * GWEI - 10 * GWEI and capped.max_fee == 200 * GWEI
    assert tip_bid(pipe, _cand(USDC), 10**16, 200_000, fees, head) == fees


def test_the_net_check_counts_the_coinbase_payment(tmp_path):
    pipe = _pipe(tmp_path)
    cand = _cand(gross=10**16)
    price = 11 * GWEI
    gas = 200_000
    assert pipe.check(cand, cand.gross_profit, gas, price) is None
    cost = (gas + gas // 10) * price
    refusal = pipe.check(cand, cand.gross_profit, gas, price, cand.gross_profit - cost)
    assert refusal is not None and refusal.startswith("net_profit") and "coinbase" in refusal
    assert pipe.check(cand, cand.gross_profit, gas, price, cand.gross_profit - cost - 1) is None
