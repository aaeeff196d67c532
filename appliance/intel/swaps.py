"""Swap events of the tracked pools, decoded from the raw logs of a block.

A Uniswap V2 pair emits ``Swap(sender, amount0In, amount1In, amount0Out, amount1Out, to)``
(``sender`` and ``to`` indexed). One swap may carry amounts in both directions (a flash swap
repaid in the other token, or a sandwich of both in one call): what counts is the pool's net
flow per token — the token whose balance in the pool rose went *in*, the other came *out*. A
log with no net direction (a flash loan repaid in the same token) is not a swap and decodes to
None. Pool and token addresses are the pool's (checksummed), amounts exact integers; the log was validated by the chain
layer (hex, hashes, sizes) before it gets here.

A Uniswap V3 pool emits ``Swap(sender, recipient, int256 amount0, int256 amount1, sqrtPriceX96,
liquidity, tick)``: the signed amounts are the pool's own net flows (positive: into the pool),
so the same rule applies (:func:`decode_v3_swap`).
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.chain.reserves import SWAP_TOPIC
from appliance.chain.values import Log
from appliance.events import PoolInfo
from appliance.intel.errors import MalformedLog
from appliance.market.v3state import SWAP_TOPIC as SWAP_V3_TOPIC

__all__ = ["SWAP_V2_TOPIC", "SWAP_V3_TOPIC", "SwapEvent", "decode_swap", "decode_v2_swap"]

SWAP_V2_TOPIC = SWAP_TOPIC  # the chain layer asks for it with the head's logs request
_WORD = 32  # bytes per ABI word


@dataclass(frozen=True, slots=True)
class SwapEvent:
    """One directional swap in one pool, as the pool itself accounted it."""

    block: int
    tx_hash: str
    log_index: int
    pool: str
    # lowercase hex, not checksummed: 400 checksums per busy block cost more than the rest
    sender: str  # the pool's msg.sender: a router, a searcher contract, or an account
    recipient: str  # where the output went (the next pool of a multi-hop path, or a wallet)
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int


def decode_v2_swap(log: Log, pool: PoolInfo) -> SwapEvent | None:
    """Decode one validated log (:func:`appliance.chain.values.log_from_json`) of ``pool``'s V2
    ``Swap``; None when it has no net direction.

    Raises :class:`MalformedLog` naming the pool when the entry is not what the topic promises.
    """
    if len(log.topics) != 3 or log.topics[0] != SWAP_V2_TOPIC:
        raise MalformedLog(f"not a V2 Swap log of {pool.address}: topics {log.topics!r}")
    if len(log.data) != 4 * _WORD:
        raise MalformedLog(
            f"V2 Swap log of {pool.address}: data must be 4 words, not {len(log.data)} bytes"
        )
    a0_in, a1_in, a0_out, a1_out = (
        int.from_bytes(log.data[i * _WORD : (i + 1) * _WORD], "big") for i in range(4)
    )
    return _directed(log, pool, a0_in - a0_out, a1_in - a1_out)


def _directed(log: Log, pool: PoolInfo, net0: int, net1: int) -> SwapEvent | None:
    """The swap of the pool's net flows (into the pool: positive); None without a direction."""
    if net0 > 0 and net1 < 0:
        t_in, t_out, amount_in, amount_out = pool.token0, pool.token1, net0, -net1
    elif net1 > 0 and net0 < 0:
        t_in, t_out, amount_in, amount_out = pool.token1, pool.token0, net1, -net0
    else:
        return None
    return SwapEvent(
        block=log.block_number,
        tx_hash=log.tx_hash,
        log_index=log.log_index,
        pool=pool.address,
        sender="0x" + log.topics[1][-40:],
        recipient="0x" + log.topics[2][-40:],
        token_in=t_in,
        token_out=t_out,
        amount_in=amount_in,
        amount_out=amount_out,
    )


def decode_v3_swap(log: Log, pool: PoolInfo) -> SwapEvent | None:
    """Decode one validated log of ``pool``'s V3 ``Swap``; None when it has no net direction.

    Raises :class:`MalformedLog` naming the pool when the entry is not what the topic promises.
    """
    if len(log.topics) != 3 or log.topics[0] != SWAP_V3_TOPIC:
        raise MalformedLog(f"not a V3 Swap log of {pool.address}: topics {log.topics!r}")
    if len(log.data) != 5 * _WORD:
        raise MalformedLog(
            f"V3 Swap log of {pool.address}: data must be 5 words, not {len(log.data)} bytes"
        )
    net0, net1 = (
        int.from_bytes(log.data[i * _WORD : (i + 1) * _WORD], "big", signed=True) for i in (0, 1)
    )
    return _directed(log, pool, net0, net1)


def decode_swap(log: Log, pool: PoolInfo) -> SwapEvent | None:
    """A log of ``pool`` by its kind: a V2 pool's ``Swap`` (:func:`decode_v2_swap`), a V3 pool's
    ``Swap`` (:func:`decode_v3_swap`); None for a V3 pool's other state logs (Mint, Burn), which
    ride along from the chain task's logs request."""
    if pool.kind == "uniswap_v3":
        return decode_v3_swap(log, pool) if log.topics[:1] == (SWAP_V3_TOPIC,) else None
    return decode_v2_swap(log, pool)
