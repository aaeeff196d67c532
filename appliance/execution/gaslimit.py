"""The gas limit of one trade, derived from its one simulation (no ``eth_estimateGas``).

The executor's ``execute`` returns, beside the profit, the gas it used from its first statement
to its return, before refunds (``msg.gas`` at entry minus ``msg.gas`` at the end). The
simulation (``eth_call`` of the exact calldata on the pending block, with the configured
``execution.gas_limit`` as its gas) therefore gives the gas in the same single EVM execution
that gives the profit, where ``eth_estimateGas`` is a binary search of many executions.

From that measure to a limit that is never too low (each term an upper bound):

* :func:`intrinsic_gas`: 21,000 plus the calldata's bytes (16 per non-zero byte, 4 per zero),
  computed here from the exact calldata that is signed (EIP-2028; no access list);
* ``ENTRY_GAS``: what runs outside the measured span, the selector dispatch and the ABI decoding
  and bounds checks of the hops before the first statement, the return's encoding after it;
* the 63/64 rule (EIP-150): a call forwards at most 63/64 of the gas left, so a frame ``d``
  calls deep needs up to (64/63)^d times what it uses. ``CALL_DEPTH`` bounds the nesting of any
  cycle (execute -> first pool -> its callback -> a later leg's pool -> its callback -> a token,
  and a proxy token's delegate call); the whole measure is scaled by it, which bounds every
  nested frame's share;
* what the pending block cannot see: the trade is mined in a later block, where each pool's
  first swap of the block writes its price oracle (a V2 pair's two cumulative prices, a V3
  pool's observation; up to 22,100 gas a slot for a first write of a cold slot):
  ``BLOCK_STATE_GAS`` per leg kind; and a bundle's coinbase payment (``execute_paying``) may
  meet a builder address that does not exist yet (``NEW_ACCOUNT_GAS`` for a value call to it).

The configured ``execution.gas_limit`` is the cap: the simulation ran with exactly that gas and
succeeded, so the cap is always enough for the simulated state; the derived limit is used when
it is lower. ``tests/integration/execution/test_execution_trades.py`` (V2) and
``test_execution_v3_trades.py`` (V2/V3 cycles of 2-4 hops crossing ticks) land every trade with
this limit on Anvil, in a block with a new timestamp, and check its receipt's gas used stays
below it and the node's own estimate of the same transaction does not exceed it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "BLOCK_STATE_GAS",
    "CALL_DEPTH",
    "ENTRY_GAS",
    "NEW_ACCOUNT_GAS",
    "gas_limit",
    "gas_used",
    "intrinsic_gas",
]

TX_GAS = 21_000
CALLDATA_ZERO_GAS = 4
CALLDATA_NONZERO_GAS = 16
# measured on Anvil (the V2 and V3 trade tests): the node's estimate exceeds intrinsic + the
# measure by 1,800-2,400 gas for inventory cycles (this span) and by up to 14,800 for a 4-hop
# flash cycle (that excess is the 63/64 rule's share, which CALL_DEPTH covers)
ENTRY_GAS = 6_000
CALL_DEPTH = 8
_SLOT_FIRST_WRITE = 22_100  # a cold zero -> non-zero SSTORE (EIP-2929 + EIP-2200)
BLOCK_STATE_GAS = {
    "uniswap_v2": 2 * _SLOT_FIRST_WRITE,  # price0CumulativeLast, price1CumulativeLast
    "uniswap_v3": 2 * _SLOT_FIRST_WRITE,  # the observation, and a tick's outside cumulatives
}
_DEFAULT_STATE_GAS = 2 * _SLOT_FIRST_WRITE
NEW_ACCOUNT_GAS = 25_000  # a value transfer that creates its recipient (the block's coinbase)


def intrinsic_gas(data: bytes) -> int:
    """The transaction's intrinsic gas: the base cost plus its calldata (a call, no list)."""
    zeros = data.count(0)
    return TX_GAS + zeros * CALLDATA_ZERO_GAS + (len(data) - zeros) * CALLDATA_NONZERO_GAS


def gas_used(data: bytes, measured: int) -> int:
    """What the simulated transaction used before refunds: intrinsic + entry + the measure.
    An upper bound of the receipt's ``gasUsed`` on the simulated state (the net-profit check and
    a paper fill count it)."""
    return intrinsic_gas(data) + ENTRY_GAS + measured


def gas_limit(
    data: bytes, measured: int, leg_kinds: Iterable[str], cap: int, *, pays_coinbase: bool = False
) -> int:
    """The gas limit to sign for ``data`` whose simulation measured ``measured`` gas; at most
    ``cap`` (the gas the simulation ran with). ``pays_coinbase``: ``execute_paying``."""
    need = ENTRY_GAS + measured
    for _ in range(CALL_DEPTH):
        need = need * 64 // 63 + 1
    need += sum(BLOCK_STATE_GAS.get(kind, _DEFAULT_STATE_GAS) for kind in leg_kinds)
    if pays_coinbase:
        need += NEW_ACCOUNT_GAS
    return min(cap, intrinsic_gas(data) + need)
