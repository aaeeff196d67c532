"""Tiny ABI helpers: calldata from a signature string, decoding, CREATE/CREATE2 addresses."""

from __future__ import annotations

from typing import Any

import rlp
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

__all__ = [
    "calldata",
    "create2_address",
    "create_address",
    "decode_words",
    "encode_args",
    "pair_address",
]

#: keccak256 of the UniswapV2Pair creation code (v2-core 1.0.1): the canonical init-code hash.
CANONICAL_INIT_CODE_HASH = "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"


def _types(signature: str) -> list[str]:
    inner = signature[signature.index("(") + 1 : signature.rindex(")")]
    return [t for t in inner.split(",") if t]


def calldata(signature: str, *args: Any) -> str:
    """``0x`` hex calldata of ``signature`` (e.g. ``"transfer(address,uint256)"``) with ``args``."""
    selector = function_signature_to_4byte_selector(signature)
    return "0x" + (selector + encode(_types(signature), list(args))).hex()


def encode_args(types: list[str], args: tuple[Any, ...] | list[Any]) -> bytes:
    return encode(types, list(args))


def decode_words(types: list[str], data: str) -> tuple[Any, ...]:
    return decode(types, bytes.fromhex(data.removeprefix("0x")))


def create_address(sender: str, nonce: int) -> str:
    raw = keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:]
    return to_checksum_address(raw)


def create2_address(deployer: str, salt: bytes, init_code_hash: str) -> str:
    raw = keccak(b"\xff" + bytes.fromhex(deployer[2:]) + salt + bytes.fromhex(init_code_hash[2:]))[
        12:
    ]
    return to_checksum_address(raw)


def sort_tokens(a: str, b: str) -> tuple[str, str]:
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def pair_address(
    factory: str, a: str, b: str, init_code_hash: str = CANONICAL_INIT_CODE_HASH
) -> str:
    """The Uniswap V2 pair of ``a``/``b`` in ``factory`` (UniswapV2Library.pairFor)."""
    t0, t1 = sort_tokens(a, b)
    salt = keccak(bytes.fromhex(t0[2:]) + bytes.fromhex(t1[2:]))
    return create2_address(factory, salt, init_code_hash)
