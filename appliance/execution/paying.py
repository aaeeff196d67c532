"""Calldata of the executor's ``execute_paying``: ``execute`` plus a payment to ``block.coinbase``.

A bundle's bid is paid by the executor out of the trade's profit, only when the trade succeeds
(the contract reverts otherwise, paying nothing). The arguments are ``execute``'s with one more
head word, ``coinbase_wei``, after the deadline; the hop array follows. The selector is read from
the committed artifact's ABI, so it follows the hop struct whatever its fields are.
"""

from __future__ import annotations

from functools import cache

from eth_utils import keccak

from appliance.events import Candidate
from appliance.execution.artifact import load_artifact
from appliance.execution.calldata import encode_execute
from appliance.execution.errors import ArtifactError

__all__ = ["PAYING_FUNCTION", "encode_execute_paying", "execute_paying_selector"]

PAYING_FUNCTION = "execute_paying"
_HEAD_WORDS = 6  # execute's head: base, amount_in, min_profit, hops offset, flash, deadline


def _abi_type(param: dict) -> str:
    kind = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


@cache
def execute_paying_selector() -> bytes:
    for entry in load_artifact().abi:
        if entry.get("type") == "function" and entry.get("name") == PAYING_FUNCTION:
            types = ",".join(_abi_type(p) for p in entry["inputs"])
            return keccak(text=f"{PAYING_FUNCTION}({types})")[:4]
    raise ArtifactError(f"the executor artifact has no {PAYING_FUNCTION}: redeploy the executor")


def encode_execute_paying(
    candidate: Candidate, *, min_profit: int, flash: bool, deadline: int, coinbase_wei: int
) -> bytes:
    """ABI calldata of ``execute_paying`` (see :func:`~appliance.execution.calldata.encode_execute`)."""
    if not 0 <= coinbase_wei < 2**256:
        raise ValueError(f"coinbase_wei out of uint256 range: {coinbase_wei!r}")
    plain = encode_execute(candidate, min_profit=min_profit, flash=flash, deadline=deadline)
    words = [plain[4 + 32 * i : 4 + 32 * (i + 1)] for i in range(_HEAD_WORDS)]
    offset = int.from_bytes(words[3], "big") + 32  # the dynamic part moves by one head word
    words[3] = offset.to_bytes(32, "big")
    tail = plain[4 + 32 * _HEAD_WORDS :]
    return execute_paying_selector() + b"".join(words) + coinbase_wei.to_bytes(32, "big") + tail
