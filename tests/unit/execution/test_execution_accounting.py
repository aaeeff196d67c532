"""Accounting from receipt logs: Transfer flows of the base token, the Executed event, gas."""

from __future__ import annotations

from eth_abi import encode

from appliance.execution.accounting import GasToBase, fill_from_receipt, slippage_bps
from appliance.execution.calldata import EXECUTED_TOPIC, TRANSFER_TOPIC

EXE = "0x3333333333333333333333333333333333333333"
WETH = "0x1111111111111111111111111111111111111111"
USDC = "0x2222222222222222222222222222222222222222"
PAIR_A = "0x00000000000000000000000000000000000000aa"
PAIR_B = "0x00000000000000000000000000000000000000bb"


def _topic(addr):
    return "0x" + "00" * 12 + addr[2:].lower()


def _transfer(token, src, dst, amount):
    return {
        "address": token,
        "topics": [TRANSFER_TOPIC, _topic(src), _topic(dst)],
        "data": "0x" + encode(["uint256"], [amount]).hex(),
    }


def _executed(amount_in, amount_out, profit):
    data = (
        "0x"
        + encode(
            ["uint256", "uint256", "uint256", "bool"], [amount_in, amount_out, profit, False]
        ).hex()
    )
    return {"address": EXE, "topics": [EXECUTED_TOPIC, _topic(WETH)], "data": data}


def _receipt(logs, status=1):
    return {
        "status": hex(status),
        "gasUsed": hex(200_000),
        "effectiveGasPrice": hex(2 * 10**9),
        "blockNumber": hex(9),
        "logs": logs,
    }


def _fill(receipt, expected_profit: int, **kwargs):
    """The fill of ``receipt`` by our executor, gas priced in WETH (the native coin)."""
    return fill_from_receipt(
        receipt,
        executor=EXE,
        expected_profit=expected_profit,
        gas_to_base=GasToBase(WETH),
        **kwargs,
    )


def test_profit_from_transfers_and_event_base_token_from_the_event():
    logs = [
        _transfer(WETH, EXE, PAIR_A, 10**18),
        _transfer(USDC, PAIR_A, PAIR_B, 3000 * 10**6),  # another token: ignored
        _transfer(WETH, PAIR_B, EXE, 10**18 + 5 * 10**15),
        _executed(10**18, 10**18 + 5 * 10**15, 5 * 10**15),
    ]
    fill = _fill(_receipt(logs), 6 * 10**15)
    assert fill.success and fill.base_token.lower() == WETH
    assert fill.realized_profit == 5 * 10**15
    assert fill.gas_used == 200_000 and fill.gas_cost == 200_000 * 2 * 10**9
    assert fill.net_profit == 5 * 10**15 - 4 * 10**14
    assert fill.slippage_bps == round(10**15 * 10_000 / (6 * 10**15), 2)
    assert fill.block == 9


def test_a_revert_realizes_nothing_and_costs_gas():
    fill = _fill(_receipt([], status=0), 10, base_token=WETH)
    assert not fill.success and fill.realized_profit == 0 and fill.net_profit == -fill.gas_cost
    assert fill.slippage_bps == 10_000.0


def test_event_and_transfers_disagreeing_reports_the_smaller():
    logs = [_transfer(WETH, PAIR_B, EXE, 7), _executed(1, 9, 8)]
    fill = _fill(_receipt(logs), 8)
    assert fill.realized_profit == 7


def test_gas_in_a_non_native_base_uses_the_candidate_rate():
    conv = GasToBase(
        WETH, base_per_native_num=3000, base_per_native_den=10**12
    )  # 3000e6 USDC / 1e18 wei... scaled
    assert conv(USDC, 10**12) == 3000
    assert conv(WETH, 123) == 123


def test_slippage():
    assert slippage_bps(100, 100) == 0.0
    assert slippage_bps(100, 90) == 1000.0
    assert slippage_bps(100, 110) == -1000.0
    assert slippage_bps(0, 5) == 0.0


def test_value_ref_is_exact_in_the_native_base_and_converted_at_the_candidate_rate():
    from fractions import Fraction

    from appliance.execution.accounting import fill_from_simulation

    # WETH is the reference token: profit - gas, both in wei of the same coin, exact
    weth = fill_from_simulation(
        profit=5 * 10**15 + 1,
        gas_used=150_000,
        gas_price=2 * 10**9,
        base_token=WETH,
        expected_profit=5 * 10**15,
        gas_to_base=GasToBase(WETH, 7, 11),
        block=9,
    )
    assert weth.value_ref == 5 * 10**15 + 1 - 150_000 * 2 * 10**9
    # USDC: the candidate priced 200_000 gas at 2 gwei as 0.7 USDC (700_000 wei), so one USDC
    # wei is worth 4e14 / 7e5 native wei; floor(12345 * that) - gas
    rate = GasToBase(WETH, base_per_native_num=700_000, base_per_native_den=200_000 * 2 * 10**9)
    usdc = fill_from_simulation(
        profit=12345,
        gas_used=150_000,
        gas_price=2 * 10**9,
        base_token=USDC,
        expected_profit=20000,
        gas_to_base=rate,
        block=9,
    )
    converted = 7_054_285_714_285  # floor(12345 * 4e14 / 7e5) = floor(7054285714285.71...)
    assert converted == int(Fraction(12345 * 4 * 10**14, 700_000))
    assert usdc.value_ref == converted - 150_000 * 2 * 10**9
    assert usdc.net_profit == 12345 - rate(USDC, 150_000 * 2 * 10**9)  # unchanged, base wei
    # no rate known (e.g. after a restart): no value rather than a wrong one
    assert GasToBase(WETH).value_ref(USDC, 12345, 1) is None
    assert GasToBase(WETH).value_ref(None, 12345, 1) is None


def test_value_ref_of_a_mined_receipt_and_a_revert():
    logs = [_transfer(WETH, EXE, PAIR_A, 10**18), _transfer(WETH, PAIR_B, EXE, 10**18 + 7)]
    fill = _fill(_receipt(logs), 7, base_token=WETH)
    assert fill.value_ref == 7 - 200_000 * 2 * 10**9
    reverted = _fill(_receipt([], status=0), 7, base_token=WETH)
    assert reverted.value_ref == -200_000 * 2 * 10**9
