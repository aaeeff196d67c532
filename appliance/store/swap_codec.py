"""The compact encoding of one block's swaps: a ``swap_blocks.swaps`` BLOB (journal version 6).

One row per block instead of one per swap, because swaps are the busiest rows the journal
keeps (tens per block in a busy market) and the SD-write budget counts every byte twice (the
WAL frame, then the checkpoint's copy). Inside a block, transaction hashes and addresses repeat
(a router's multi-hop swaps share a transaction, a sender and recipients), so each is stored
once and referred to by index. Amounts are exact: two's-complement big-endian bytes of the
integer, as long as it needs (a uint112 reserve-sized amount takes 14 bytes, not 34 digits).

Layout (all counts and indexes unsigned LEB128 varints)::

    version (1 byte, 1)
    n_addresses, then each address: 20 bytes
    n_txs, then each: tx hash (32 bytes), tx.from (0: unknown, else address index + 1)
    n_swaps, then each: tx index, log index, pools.id, flags (bit 0: zero_for_one),
                        sender address index, recipient address index,
                        amount_in, amount_out (each: byte length, then the bytes; 0 is empty)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from appliance.events import SwapRecord
from appliance.store.errors import StoreError

__all__ = ["StoredSwap", "decode_swaps", "encode_swaps"]

VERSION = 1


class StoredSwap(NamedTuple):
    """One swap as the journal keeps it: hex hashes and addresses, the pool's ``pools.id``."""

    tx_hash: str
    log_index: int
    pool_id: int
    zero_for_one: bool
    amount_in: int
    amount_out: int
    sender: str
    recipient: str
    tx_sender: str | None


def encode_swaps(swaps: Sequence[SwapRecord], pool_ids: Sequence[int]) -> bytes:
    """``swaps`` (one block's, in log order) with their pools' ids, as one BLOB."""
    addresses: dict[bytes, int] = {}
    txs: dict[bytes, tuple[int, int]] = {}  # hash -> (index, tx.from index + 1)

    def address(hex_str: str) -> int:
        raw = _raw(hex_str, 20)
        return addresses.setdefault(raw, len(addresses))

    body = bytearray()
    for s, pid in zip(swaps, pool_ids, strict=True):
        tx = _raw(s.tx_hash, 32)
        if tx not in txs:
            txs[tx] = (len(txs), 0 if s.tx_sender is None else address(s.tx_sender) + 1)
        _varint(body, txs[tx][0])
        _varint(body, s.log_index)
        _varint(body, pid)
        body.append(1 if s.zero_for_one else 0)
        _varint(body, address(s.sender))
        _varint(body, address(s.recipient))
        _amount(body, s.amount_in)
        _amount(body, s.amount_out)
    out = bytearray([VERSION])
    _varint(out, len(addresses))
    for raw in addresses:
        out += raw
    _varint(out, len(txs))
    for raw, (_, sender) in txs.items():
        out += raw
        _varint(out, sender)
    _varint(out, len(swaps))
    out += body
    return bytes(out)


def decode_swaps(blob: bytes) -> list[StoredSwap]:
    """The swaps of one ``swap_blocks`` row, in log order. Raises StoreError if malformed."""
    try:
        return _decode(memoryview(blob))
    except (IndexError, ValueError) as exc:
        raise StoreError(f"journal: a swap_blocks row is malformed ({exc})") from None


def _decode(view: memoryview) -> list[StoredSwap]:
    if not view or view[0] != VERSION:
        raise ValueError(f"unknown encoding {view[0] if view else None}")
    pos = 1
    n, pos = _read_varint(view, pos)
    addresses = []
    for _ in range(n):
        addresses.append("0x" + view[pos : pos + 20].hex())
        pos += 20
    n, pos = _read_varint(view, pos)
    txs = []
    for _ in range(n):
        tx = "0x" + view[pos : pos + 32].hex()
        sender, pos = _read_varint(view, pos + 32)
        txs.append((tx, None if sender == 0 else addresses[sender - 1]))
    n, pos = _read_varint(view, pos)
    out = []
    for _ in range(n):
        tx_index, pos = _read_varint(view, pos)
        log_index, pos = _read_varint(view, pos)
        pid, pos = _read_varint(view, pos)
        flags = view[pos]
        sender, pos = _read_varint(view, pos + 1)
        recipient, pos = _read_varint(view, pos)
        amount_in, pos = _read_amount(view, pos)
        amount_out, pos = _read_amount(view, pos)
        tx, tx_sender = txs[tx_index]
        out.append(
            StoredSwap(
                tx,
                log_index,
                pid,
                bool(flags & 1),
                amount_in,
                amount_out,
                addresses[sender],
                addresses[recipient],
                tx_sender,
            )
        )
    if pos != len(view):
        raise ValueError(f"{len(view) - pos} trailing bytes")
    return out


def _raw(hex_str: str, size: int) -> bytes:
    raw = bytes.fromhex(hex_str[2:] if hex_str[:2] in ("0x", "0X") else hex_str)
    if len(raw) != size:
        raise StoreError(f"journal: {hex_str!r} is not {size} bytes")
    return raw


def _varint(out: bytearray, value: int) -> None:
    if value < 0:
        raise StoreError(f"journal: cannot store {value} as a count or index")
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _read_varint(view: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = view[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _amount(out: bytearray, value: int) -> None:
    size = (value.bit_length() + 8) // 8 if value else 0  # room for the sign bit
    _varint(out, size)
    out += value.to_bytes(size, "big", signed=True)


def _read_amount(view: memoryview, pos: int) -> tuple[int, int]:
    size, pos = _read_varint(view, pos)
    if pos + size > len(view):
        raise ValueError("an amount runs past the end")
    return int.from_bytes(view[pos : pos + size], "big", signed=True), pos + size
