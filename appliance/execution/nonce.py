"""The account's next nonce, held by the execution loop only (one task, no lock).

Recovery after a restart trusts the node's ``eth_getTransactionCount(pending)``: it counts every
mined and every pooled transaction of the account, so continuing from it leaves no gap and reuses
nothing the node knows. Journaled trades the node has never seen (killed between the write-ahead
and the send) do not hold a nonce; :mod:`appliance.execution.recovery` marks them dropped.

Private and bundle sends are invisible to the public node while a relay holds them: recovery
starts above the highest nonce such a send may still take (until its deadline block), and a
bundle or private send that was not included releases its nonce (or resyncs), so none is skipped.
"""

from __future__ import annotations

__all__ = ["NonceManager"]


class NonceManager:
    def __init__(self, next_nonce: int) -> None:
        if next_nonce < 0:
            raise ValueError(f"nonce must be >= 0, not {next_nonce!r}")
        self._next = next_nonce

    @property
    def next(self) -> int:
        return self._next

    def take(self) -> int:
        nonce = self._next
        self._next += 1
        return nonce

    def release(self, nonce: int) -> bool:
        """Give back ``nonce`` when the node refused its transaction; only the last one taken can
        be returned (an earlier one would leave a gap behind a later, pooled transaction)."""
        if nonce == self._next - 1:
            self._next = nonce
            return True
        return False

    def __repr__(self) -> str:
        return f"NonceManager(next={self._next})"
