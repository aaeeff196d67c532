"""Calldata of the executor's ``execute`` from a :class:`~appliance.events.Candidate`, and revert
reasons decoded from a node's error data.

A hop is ``(pool, kind, zero_for_one, fee_bps, token_out)``: ``kind`` is the leg's pool kind as
the contract numbers it (:data:`HOP_KINDS`), ``fee_bps`` the leg's (a V3 pool's fee / 100: the
contract multiplies it back to find the pool by CREATE2), ``token_out`` what the leg returns.
"""

from __future__ import annotations

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from appliance.events import Candidate

__all__ = [
    "EXECUTED_TOPIC",
    "EXECUTE_SELECTOR",
    "HOP_KINDS",
    "HOP_TYPE",
    "TRANSFER_TOPIC",
    "decode_revert",
    "encode_execute",
    "encode_withdraw",
    "hops_of",
]

#: the pool kinds the executor's hops take (``Leg.kind`` -> the contract's ``Hop.kind``)
HOP_KINDS = {"uniswap_v2": 0, "uniswap_v3": 1}
HOP_TYPE = "(address,uint8,bool,uint256,address)"
_EXECUTE_SIG = f"execute(address,uint256,uint256,{HOP_TYPE}[],bool,uint256)"
EXECUTE_SELECTOR = keccak(text=_EXECUTE_SIG)[:4]
_WITHDRAW_SELECTOR = keccak(text="withdraw(address,address,uint256)")[:4]
EXECUTED_TOPIC = "0x" + keccak(text="Executed(address,uint256,uint256,uint256,bool)").hex()
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
_ERROR_SELECTOR = bytes.fromhex("08c379a0")
_PANIC_SELECTOR = bytes.fromhex("4e487b71")


def hops_of(candidate: Candidate) -> list[tuple[str, int, bool, int, str]]:
    """(pool, kind, zero_for_one, fee_bps, token_out) per leg; token0 is the lower address (the
    rule of both V2 and V3)."""
    if len(candidate.legs) < 2:
        raise ValueError(f"a cycle needs at least 2 legs, got {len(candidate.legs)}")
    if (
        candidate.legs[0].token_in != candidate.base_token
        or candidate.legs[-1].token_out != candidate.base_token
    ):
        raise ValueError(f"cycle does not start and end in base token {candidate.base_token}")
    for leg in candidate.legs:
        if leg.kind not in HOP_KINDS:
            raise ValueError(f"leg {leg.pool}: the executor has no {leg.kind!r} hop")
        if not 0 <= leg.fee_bps < 10_000:
            raise ValueError(f"leg {leg.pool}: fee_bps out of range: {leg.fee_bps!r}")
    return [
        (
            to_checksum_address(leg.pool),
            HOP_KINDS[leg.kind],
            int(leg.token_in, 16) < int(leg.token_out, 16),
            leg.fee_bps,
            to_checksum_address(leg.token_out),
        )
        for leg in candidate.legs
    ]


def encode_execute(candidate: Candidate, *, min_profit: int, flash: bool, deadline: int) -> bytes:
    """ABI calldata of ``execute``. ``deadline`` is the last block the trade may run in: required
    (the contract reverts past it), so a stale signed trade can never execute later.

    The layout is fixed (six head words, then the hop array of static 5-word tuples), so it is written
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
    for pool, kind, zero_for_one, fee_bps, token_out in hops:
        words += [
            _address_word(pool),
            kind.to_bytes(32, "big"),
            int(zero_for_one).to_bytes(32, "big"),
            fee_bps.to_bytes(32, "big"),
            _address_word(token_out),
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
