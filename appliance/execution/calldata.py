"""Calldata of the executor's ``execute`` from a :class:`~appliance.events.Candidate`, and revert
reasons decoded from a node's error data."""

from __future__ import annotations

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from appliance.events import Candidate

__all__ = [
    "EXECUTED_TOPIC",
    "EXECUTE_SELECTOR",
    "TRANSFER_TOPIC",
    "decode_revert",
    "encode_execute",
    "encode_withdraw",
    "hops_of",
]

_EXECUTE_SIG = "execute(address,uint256,uint256,(address,bool,uint256)[],bool,uint256)"
EXECUTE_SELECTOR = keccak(text=_EXECUTE_SIG)[:4]
_WITHDRAW_SELECTOR = keccak(text="withdraw(address,address,uint256)")[:4]
EXECUTED_TOPIC = "0x" + keccak(text="Executed(address,uint256,uint256,uint256,bool)").hex()
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
_ERROR_SELECTOR = bytes.fromhex("08c379a0")
_PANIC_SELECTOR = bytes.fromhex("4e487b71")


def hops_of(candidate: Candidate) -> list[tuple[str, bool, int]]:
    """(pool, zero_for_one, fee_bps) per leg; token0 is the lower address (Uniswap V2 rule)."""
    if len(candidate.legs) < 2:
        raise ValueError(f"a cycle needs at least 2 legs, got {len(candidate.legs)}")
    if (
        candidate.legs[0].token_in != candidate.base_token
        or candidate.legs[-1].token_out != candidate.base_token
    ):
        raise ValueError(f"cycle does not start and end in base token {candidate.base_token}")
    return [
        (to_checksum_address(leg.pool), int(leg.token_in, 16) < int(leg.token_out, 16), leg.fee_bps)
        for leg in candidate.legs
    ]


def encode_execute(candidate: Candidate, *, min_profit: int, flash: bool, deadline: int) -> bytes:
    """ABI calldata of ``execute``. ``deadline`` is the last block the trade may run in: required
    (the contract reverts past it), so a stale signed trade can never execute later.

    The layout is fixed (six head words, then the hop array of static tuples), so it is written
    directly: eth-abi's generic encoder costs ~0.3 ms on the hot path; a unit test checks the
    bytes against eth-abi."""
    hops = hops_of(candidate)
    if not 1 <= deadline < 2**256:
        raise ValueError(f"deadline must be a block number >= 1, not {deadline!r}")
    for name, value in (
        ("amount_in", candidate.amount_in),
        ("min_profit", min_profit),
        ("deadline", deadline),
    ):
        if not 0 <= value < 2**256:
            raise ValueError(f"{name} out of uint256 range: {value!r}")
    words = [
        _address_word(candidate.base_token),
        candidate.amount_in.to_bytes(32, "big"),
        min_profit.to_bytes(32, "big"),
        (6 * 32).to_bytes(32, "big"),  # offset of the hop array
        int(flash).to_bytes(32, "big"),
        deadline.to_bytes(32, "big"),
        len(hops).to_bytes(32, "big"),
    ]
    for pool, zero_for_one, fee_bps in hops:
        words += [
            _address_word(pool),
            int(zero_for_one).to_bytes(32, "big"),
            fee_bps.to_bytes(32, "big"),
        ]
    return EXECUTE_SELECTOR + b"".join(words)


def _address_word(address: str) -> bytes:
    raw = bytes.fromhex(address[2:])
    if len(raw) != 20:
        raise ValueError(f"not an address: {address!r}")
    return b"\x00" * 12 + raw


def encode_withdraw(token: str, to: str, amount: int) -> bytes:
    return _WITHDRAW_SELECTOR + encode(["address", "address", "uint256"], [token, to, amount])


def decode_revert(data: object) -> str:
    """The revert string from error data (``0x08c379a0...``), else a short description."""
    if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."}
        data = data.get("data")
    if not isinstance(data, str) or not data.startswith("0x"):
        return "reverted (no reason)"
    raw = bytes.fromhex(data[2:])
    try:
        if raw[:4] == _ERROR_SELECTOR:
            return str(decode(["string"], raw[4:])[0])
        if raw[:4] == _PANIC_SELECTOR:
            return f"panic {decode(['uint256'], raw[4:])[0]:#x}"
    except Exception:
        pass
    return f"reverted (data {data[:74]})" if raw else "reverted (no reason)"
