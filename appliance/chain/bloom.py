"""The block header's ``logsBloom``: which addresses and topics *may* have logged in a block.

A 2048-bit Bloom filter (yellow paper, M3:2048): for each log address and topic, three bits
chosen by the low 11 bits of the first three byte pairs of its Keccak-256 hash. No false
negatives: when a pool's address bits or the ``Sync`` topic's bits are not all set, the pool
emitted no ``Sync`` in the block — exact knowledge, without a request.
"""

from __future__ import annotations

from eth_utils import keccak

__all__ = ["bloom_bits", "bloom_from_hex", "may_contain"]


def bloom_bits(value: bytes) -> int:
    """The filter bits of one address (20 bytes) or topic (32 bytes), as a 2048-bit mask."""
    digest = keccak(value)
    mask = 0
    for i in (0, 2, 4):
        mask |= 1 << (((digest[i] << 8) | digest[i + 1]) & 2047)
    return mask


def bloom_from_hex(value: str) -> int:
    """``logsBloom`` (``0x`` + 512 hex digits) as an int; ValueError when malformed."""
    if not isinstance(value, str) or len(value) != 514 or not value.startswith("0x"):
        raise ValueError("logsBloom must be 0x followed by 512 hex digits")
    return int(value[2:], 16)


def may_contain(bloom: int, mask: int) -> bool:
    return bloom & mask == mask
