"""The probe artifact matches its source; verdicts from probe measurements; the call shape."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from eth_abi import encode

from appliance.strategy import PROBE_ADDRESS, ProbeFailed, classify, probe_token
from appliance.strategy.hostile import MAGIC, ProbeResult, compile_probe, load_probe_runtime


def test_committed_artifact_equals_a_fresh_compile():
    committed = json.loads(
        resources.files("appliance.strategy").joinpath("contracts", "probe.json").read_text()
    )
    assert committed == compile_probe()
    assert load_probe_runtime() == bytes.fromhex(committed["bytecode_runtime"].removeprefix("0x"))


def honest(**changes) -> ProbeResult:
    values = dict(
        expected=1000,
        received=1000,
        sent=500,
        kept=500,
        sink_before=7,
        sink_after=507,
        transfer_ok=True,
        pair_reserve=10**6,
        pair_balance=10**6,
    )
    values.update(changes)
    return ProbeResult(**values)


@pytest.mark.parametrize(
    ("result", "verdict"),
    [
        (honest(), None),
        (honest(pair_balance=10**6 + 5), None),  # a donation is not hostile
        (honest(received=990, sent=495, kept=495, sink_after=502), "fee_on_transfer"),
        (honest(sink_after=502), "fee_on_transfer"),  # the recipient is short
        (honest(kept=510), "fee_on_transfer"),  # the sender is debited more... or less
        (honest(transfer_ok=False), "transfer_blocked"),
        (honest(pair_balance=10**6 - 1), "rebasing"),
        ("UniswapV2: TRANSFER_FAILED", "transfer_blocked"),
    ],
)
def test_classify(result, verdict):
    reason = classify(result)
    if verdict is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith(verdict)


def _answer(payload: bytes) -> bytes:
    return encode(["bytes"], [payload])


async def test_probe_token_injects_the_probe_and_decodes_the_verdict():
    calls = []
    fields = ["uint256"] * 6 + ["bool", "uint256", "uint256"]
    measured = [100, 99, 49, 50, 0, 49, True, 10**6, 10**6]

    async def eth_call(to, data, block, override):
        calls.append((to, data, block, override))
        return _answer(MAGIC + encode(fields, measured))

    denied = await probe_token(
        eth_call, token="0x" + "11" * 20, pair="0x" + "22" * 20, reserve=10**6
    )
    assert denied is not None and denied.reason.startswith("fee_on_transfer")
    (to, data, block, override) = calls[0]
    assert to == PROBE_ADDRESS and block == "latest"
    assert override[PROBE_ADDRESS]["code"] == "0x" + load_probe_runtime().hex()
    assert int.from_bytes(data[-32:], "big") == 100  # a ten-thousandth of the reserve


async def test_probe_token_reports_a_blocked_swap_and_rpc_failures():
    async def reverted(to, data, block, override):
        return _answer(
            bytes.fromhex("08c379a0") + encode(["string"], ["UniswapV2: TRANSFER_FAILED"])
        )

    denied = await probe_token(
        reverted, token="0x" + "11" * 20, pair="0x" + "22" * 20, reserve=10**6
    )
    assert denied is not None and "TRANSFER_FAILED" in denied.reason

    async def broken(to, data, block, override):
        raise OSError("connection refused")

    with pytest.raises(ProbeFailed, match="connection refused"):
        await probe_token(broken, token="0x" + "11" * 20, pair="0x" + "22" * 20, reserve=10**6)
    with pytest.raises(ProbeFailed, match="too small"):
        await probe_token(broken, token="0x" + "11" * 20, pair="0x" + "22" * 20, reserve=5)
