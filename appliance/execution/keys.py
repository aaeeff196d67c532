"""Loading the trading key, and a signer that never shows it.

The key file holds one line: the private key as 0x-prefixed hex. It is read only after
:func:`appliance.config.read_private_key` has confirmed mode 0600, ownership by the running user
and its shape (the same checks ``check-config`` runs). The :class:`Signer` keeps the eth-account
``LocalAccount`` private; its ``repr``/``str`` show the address only, it refuses to be pickled, and
no error raised here quotes the file's content (a malformed key is described by its length and
shape, never its characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rlp
from eth_account import Account
from eth_utils import keccak

from appliance.config import ConfigError, read_private_key
from appliance.execution.errors import KeyFileError

__all__ = ["SignedTx", "Signer", "load_signer"]

_COMMON = frozenset({"chainId", "nonce", "to", "value", "data", "gas"})
_TYPE2_FIELDS = _COMMON | {"maxFeePerGas", "maxPriorityFeePerGas"}
_LEGACY_FIELDS = _COMMON | {"gasPrice"}


@dataclass(frozen=True, slots=True)
class SignedTx:
    raw: bytes
    hash: str  # lowercase 0x hex
    nonce: int


class Signer:
    """Signs transactions for one address. ``repr`` shows the address, never the key."""

    __slots__ = ("_account", "address")

    def __init__(self, account: Any) -> None:
        self._account = account
        self.address: str = account.address

    def sign(self, tx: dict[str, Any]) -> SignedTx:
        """Sign a type-2 (``maxFeePerGas``) or EIP-155 legacy (``gasPrice``) transaction.

        The two shapes the appliance sends are serialized here (RLP) and only the hash is signed
        by eth-account: ~10x faster than ``sign_transaction``'s generic validation path, and a
        unit test proves the bytes identical to it. Any other shape takes the generic path.
        """
        fields = set(tx)
        if fields in (_TYPE2_FIELDS, _LEGACY_FIELDS):
            return self._sign_fast(tx)
        signed = self._account.sign_transaction(tx)
        return SignedTx(
            raw=bytes(signed.raw_transaction),
            hash="0x" + bytes(signed.hash).hex(),
            nonce=int(tx["nonce"]),
        )

    def _sign_fast(self, tx: dict[str, Any]) -> SignedTx:
        to = bytes.fromhex(tx["to"][2:]) if tx.get("to") else b""
        data = (
            tx["data"]
            if isinstance(tx["data"], bytes)
            else bytes.fromhex(str(tx["data"]).removeprefix("0x"))
        )
        chain_id, nonce, gas, value = (
            int(tx["chainId"]),
            int(tx["nonce"]),
            int(tx["gas"]),
            int(tx["value"]),
        )
        if "maxFeePerGas" in tx:
            body = [
                chain_id,
                nonce,
                int(tx["maxPriorityFeePerGas"]),
                int(tx["maxFeePerGas"]),
                gas,
                to,
                value,
                data,
                [],
            ]
            sig = self._account.unsafe_sign_hash(keccak(b"\x02" + rlp.encode(body)))
            raw = b"\x02" + rlp.encode([*body, sig.v - 27, sig.r, sig.s])
        else:
            body = [nonce, int(tx["gasPrice"]), gas, to, value, data]
            sig = self._account.unsafe_sign_hash(keccak(rlp.encode([*body, chain_id, 0, 0])))
            raw = rlp.encode([*body, sig.v - 27 + 35 + 2 * chain_id, sig.r, sig.s])
        return SignedTx(raw=raw, hash="0x" + keccak(raw).hex(), nonce=nonce)

    def __repr__(self) -> str:
        return f"Signer({self.address})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a Signer cannot be pickled (it holds the trading key)")


def load_signer(key_file: Path | str, *, where: Path | str = "(account.key_file)") -> Signer:
    """Check the key file (mode, owner, content: the checks ``check-config`` runs too), then load
    it. Raises :class:`KeyFileError`."""
    key_file = Path(key_file)
    try:
        key = read_private_key(key_file, Path(str(where)))
    except ConfigError as exc:
        raise KeyFileError(str(exc)) from None
    try:
        account = Account.from_key(key)
    except Exception:  # eth-keys' messages may echo the key: never chain them
        raise KeyFileError(
            f"key file {str(key_file)!r} does not hold a valid secp256k1 key"
        ) from None
    return Signer(account)
