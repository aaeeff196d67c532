"""The searcher identity that signs relay requests (``X-Flashbots-Signature``), never the
trading key.

A relay authenticates the *sender of a request* by an EIP-191 signature over the hex keccak256
of the exact request body: ``X-Flashbots-Signature: <address>:<0x signature>``. The identity
only builds reputation with the relays; it holds no funds, and using the trading key for it
would tie the trading account to every request — so it must be a different key, in its own
file (mode 0600, like the trading key).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

from appliance.submission.errors import SearcherKeyError

__all__ = ["SIGNATURE_HEADER", "SearcherIdentity", "signature_header", "verify_signature"]

SIGNATURE_HEADER = "X-Flashbots-Signature"


class SearcherIdentity:
    """Signs request bodies; ``repr`` and ``str`` never show the key."""

    __slots__ = ("_account",)

    def __init__(self, key: str) -> None:
        try:
            self._account = Account.from_key(key)
        except (ValueError, TypeError):
            raise SearcherKeyError("the searcher key is not a 32-byte hex key") from None

    @classmethod
    def from_file(cls, path: Path, *, trading_key_file: Path | None = None) -> SearcherIdentity:
        path = Path(path)
        try:
            info = path.stat()
            text = path.read_text().strip()
        except OSError as exc:
            raise SearcherKeyError(
                f"execution.searcher_key_file {str(path)!r}: {exc.strerror}"
            ) from None
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise SearcherKeyError(
                f"execution.searcher_key_file {str(path)!r} must not be readable by others "
                f"(mode {stat.S_IMODE(info.st_mode):o}; chmod 600)"
            )
        if info.st_uid != os.getuid():
            raise SearcherKeyError(
                f"execution.searcher_key_file {str(path)!r} must be owned by the service user"
            )
        identity = cls(text)
        if trading_key_file is not None:
            try:
                trading = Account.from_key(Path(trading_key_file).read_text().strip()).address
            except (OSError, ValueError, TypeError):
                trading = None
            if trading == identity.address:
                raise SearcherKeyError(
                    f"execution.searcher_key_file {str(path)!r} holds the trading key: the relay "
                    "identity must be a separate key"
                )
        return identity

    @property
    def address(self) -> str:
        return self._account.address

    def sign(self, body: bytes) -> str:
        """The header value for ``body`` (the exact bytes sent)."""
        message = encode_defunct(text="0x" + keccak(body).hex())
        signed = self._account.sign_message(message)
        return f"{self.address}:0x{bytes(signed.signature).hex()}"

    def __repr__(self) -> str:
        return f"SearcherIdentity({self.address})"


def signature_header(identity: SearcherIdentity, body: bytes) -> dict[str, str]:
    return {SIGNATURE_HEADER: identity.sign(body)}


def verify_signature(header: str, body: bytes) -> str | None:
    """The signer's address when ``header`` is a valid signature of ``body``, else None."""
    address, sep, signature = (header or "").partition(":")
    if not sep:
        return None
    try:
        signer = Account.recover_message(
            encode_defunct(text="0x" + keccak(body).hex()), signature=signature
        )
    except Exception:  # any malformed signature is simply not valid
        return None
    return signer if signer.lower() == address.lower() else None
