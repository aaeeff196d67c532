"""Validators for values inside JSON-RPC results: quantities, data, hashes, blocks, logs.

Each takes the raw JSON value plus a ``where`` label (``"host: method"``) and returns a typed
Python value or raises :class:`MalformedResponse` — so nothing from the wire reaches trading
logic unchecked. Integers are exact (no floats anywhere).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from appliance.chain.errors import MalformedResponse
from appliance.events import BlockSeen

__all__ = [
    "Log",
    "block_from_json",
    "block_param",
    "block_ref",
    "hex_quantity",
    "log_from_json",
    "to_address",
    "to_data",
    "to_hash",
    "to_quantity",
]

_QUANTITY = re.compile(r"0x[0-9a-fA-F]{1,64}")  # leading zeros tolerated (some nodes emit them)
_DATA = re.compile(r"0x([0-9a-fA-F]{2})*")
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_MAX_DATA_CHARS = 64_000_000


@dataclass(frozen=True, slots=True)
class Log:
    address: str  # checksummed
    topics: tuple[str, ...]  # lowercase 0x hashes
    data: bytes
    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    removed: bool = False


def _bad(host: str, method: str, what: str, value: Any) -> MalformedResponse:
    return MalformedResponse(host, method, f"{what} {value!r:.80} is invalid")


def to_quantity(host: str, method: str, value: Any, what: str = "quantity") -> int:
    """A JSON-RPC QUANTITY (``0x``-hex within 256 bits) as an exact int."""
    if isinstance(value, str) and _QUANTITY.fullmatch(value):
        return int(value, 16)
    raise _bad(host, method, what, value)


def to_data(host: str, method: str, value: Any, what: str = "data") -> bytes:
    if isinstance(value, str) and len(value) <= _MAX_DATA_CHARS and _DATA.fullmatch(value):
        return bytes.fromhex(value[2:])
    raise _bad(host, method, what, value)


def to_hash(host: str, method: str, value: Any, what: str = "hash") -> str:
    if isinstance(value, str) and _HASH.fullmatch(value):
        return value.lower()
    raise _bad(host, method, what, value)


def to_address(host: str, method: str, value: Any, what: str = "address") -> str:
    if isinstance(value, str) and _ADDRESS.fullmatch(value):
        return to_checksum_address(value)
    raise _bad(host, method, what, value)


def hex_quantity(n: int) -> str:
    return hex(n)


def block_param(block: int | str) -> str:
    """A block number or tag for ``eth_getBlockByNumber``-style params."""
    if isinstance(block, bool):
        raise TypeError(f"block must be an int or a tag, not {block!r}")
    if isinstance(block, int):
        if block < 0:
            raise ValueError(f"block number must be >= 0, not {block}")
        return hex(block)
    if block in ("latest", "pending", "earliest", "safe", "finalized") or _QUANTITY.fullmatch(
        block
    ):
        return block
    raise ValueError(f"block must be a number, a tag or a 0x quantity, not {block!r}")


def block_ref(block: int | str) -> Any:
    """A block parameter for state queries: number, tag, or EIP-1898 ``{"blockHash": h}``."""
    if isinstance(block, str) and len(block) == 66:
        return {"blockHash": block}
    return block_param(block)


def block_from_json(host: str, method: str, value: Any) -> BlockSeen:
    if not isinstance(value, dict):
        raise MalformedResponse(host, method, f"block is {type(value).__name__}, not an object")
    base_fee = value.get("baseFeePerGas")
    return BlockSeen(
        number=to_quantity(host, method, value.get("number"), "block number"),
        hash=to_hash(host, method, value.get("hash"), "block hash"),
        parent_hash=to_hash(host, method, value.get("parentHash"), "parent hash"),
        timestamp=to_quantity(host, method, value.get("timestamp"), "timestamp"),
        base_fee=None if base_fee is None else to_quantity(host, method, base_fee, "base fee"),
    )


def log_from_json(host: str, method: str, value: Any) -> Log:
    if not isinstance(value, dict):
        raise MalformedResponse(host, method, f"log is {type(value).__name__}, not an object")
    topics = value.get("topics")
    if not isinstance(topics, list) or len(topics) > 4:
        raise _bad(host, method, "log topics", topics)
    removed = value.get("removed", False)
    if not isinstance(removed, bool):
        raise _bad(host, method, "log removed flag", removed)
    return Log(
        address=to_address(host, method, value.get("address"), "log address"),
        topics=tuple(to_hash(host, method, t, "log topic") for t in topics),
        data=to_data(host, method, value.get("data"), "log data"),
        block_number=to_quantity(host, method, value.get("blockNumber"), "log block number"),
        block_hash=to_hash(host, method, value.get("blockHash"), "log block hash"),
        log_index=to_quantity(host, method, value.get("logIndex"), "log index"),
        tx_hash=to_hash(host, method, value.get("transactionHash"), "log transaction hash"),
        removed=removed,
    )
