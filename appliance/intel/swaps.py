"""Swap events of the tracked pools, decoded from the raw logs of a block.

A Uniswap V2 pair emits ``Swap(sender, amount0In, amount1In, amount0Out, amount1Out, to)``
(``sender`` and ``to`` indexed). One swap may carry amounts in both directions (a flash swap
repaid in the other token, or a sandwich of both in one call): what counts is the pool's net
flow per token — the token whose balance in the pool rose went *in*, the other came *out*. A
log with no net direction (a flash loan repaid in the same token) is not a swap and decodes to
None. Addresses are checksummed, amounts exact integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from appliance.events import PoolInfo
from appliance.intel.errors import MalformedLog

__all__ = ["SWAP_V2_TOPIC", "SwapEvent", "decode_v2_swap"]

SWAP_V2_TOPIC = "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
_WORD = 64  # hex characters per 32-byte word


@dataclass(frozen=True, slots=True)
class SwapEvent:
    """One directional swap in one pool, as the pool itself accounted it."""

    block: int
    tx_hash: str
    tx_index: int
    log_index: int
    pool: str
    sender: str  # the pool's msg.sender: a router, a searcher contract, or an account
    recipient: str  # where the output went (the next pool of a multi-hop path, or a wallet)
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int


def decode_v2_swap(log: Mapping[str, Any], pool: PoolInfo) -> SwapEvent | None:
    """Decode one ``eth_getLogs`` entry of ``pool``'s V2 ``Swap``; None when it has no direction.

    Raises :class:`MalformedLog` naming the field when the entry is not what the topic promises.
    """
    try:
        topics = log["topics"]
        if len(topics) != 3 or str(topics[0]).lower() != SWAP_V2_TOPIC:
            raise MalformedLog(f"not a V2 Swap log: topics {topics!r}")
        data = str(log["data"])
        if not data.startswith("0x") or len(data) != 2 + 4 * _WORD:
            raise MalformedLog(f"V2 Swap log data must be 4 words, got {len(data)} characters")
        words = [int(data[2 + i * _WORD : 2 + (i + 1) * _WORD], 16) for i in range(4)]
        sender = to_checksum_address("0x" + str(topics[1])[-40:])
        recipient = to_checksum_address("0x" + str(topics[2])[-40:])
        block = _quantity(log, "blockNumber")
        tx_index = _quantity(log, "transactionIndex")
        log_index = _quantity(log, "logIndex")
        tx_hash = str(log["transactionHash"]).lower()
    except MalformedLog:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedLog(f"V2 Swap log of {pool.address}: {exc!r}") from exc
    if len(tx_hash) != 66:
        raise MalformedLog(f"V2 Swap log of {pool.address}: transactionHash {tx_hash!r}")
    a0_in, a1_in, a0_out, a1_out = words
    net0, net1 = a0_in - a0_out, a1_in - a1_out  # into the pool
    if net0 > 0 and net1 < 0:
        t_in, t_out, amount_in, amount_out = pool.token0, pool.token1, net0, -net1
    elif net1 > 0 and net0 < 0:
        t_in, t_out, amount_in, amount_out = pool.token1, pool.token0, net1, -net0
    else:
        return None
    return SwapEvent(
        block=block,
        tx_hash=tx_hash,
        tx_index=tx_index,
        log_index=log_index,
        pool=pool.address,
        sender=sender,
        recipient=recipient,
        token_in=t_in,
        token_out=t_out,
        amount_in=amount_in,
        amount_out=amount_out,
    )


def _quantity(log: Mapping[str, Any], key: str) -> int:
    value = log[key]
    if not isinstance(value, str) or not value.startswith("0x"):
        raise MalformedLog(f"V2 Swap log field {key} must be a hex quantity, not {value!r}")
    return int(value, 16)
