"""A receipt is input like any other: a malformed or missing one leaves its searcher unknown."""

from __future__ import annotations

import pytest

from appliance.chain.errors import RpcCallError
from appliance.intel.task import _tx_info

H = "0x" + "ab" * 32
GOOD = {
    "from": "0x" + "1" * 40,
    "to": "0x" + "2" * 40,
    "gasUsed": "0x5208",
    "effectiveGasPrice": "0x3b9aca00",
}


def test_a_block_body_transaction_gives_sender_and_target_without_gas():
    info = _tx_info(H, {"hash": H, "from": GOOD["from"], "to": GOOD["to"]}, gas=False)
    assert (info.sender, info.to, info.gas_wei) == (GOOD["from"], GOOD["to"], 0)
    assert _tx_info("0x12", {"from": GOOD["from"], "to": None}, gas=False) is None


def test_a_good_receipt_gives_sender_target_and_exact_gas():
    info = _tx_info(H, GOOD)
    assert (info.sender, info.to, info.gas_wei) == (GOOD["from"], GOOD["to"], 21_000 * 10**9)
    assert _tx_info(H, GOOD | {"to": None}).to is None  # a contract creation


@pytest.mark.parametrize(
    "answer",
    [
        None,
        "0x12",
        [],
        {k: v for k, v in GOOD.items() if k != "from"},
        GOOD | {"gasUsed": "lots"},
        GOOD | {"gasUsed": 21000},
        GOOD | {"from": "0x1234"},
        GOOD | {"to": "0xdead"},
        RpcCallError("node", "eth_getTransactionReceipt", -32000, "boom"),
    ],
)
def test_malformed_receipts_are_refused(answer):
    assert _tx_info(H, answer) is None
