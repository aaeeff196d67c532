"""Relay and builder endpoints: the relay JSON-RPC over httpx, signed, classified, backed off.

Methods (the Flashbots relay protocol, spoken by most builders): ``eth_sendBundle`` (signed raw
transactions for one target block), ``eth_callBundle`` (simulate them on a state), and
``eth_sendPrivateTransaction`` (one raw transaction kept out of the public mempool). Every
request carries ``X-Flashbots-Signature`` from the searcher identity.

A relay's answer is input like any other: transport failures, HTTP errors, non-JSON, a wrong id
or shape, and JSON-RPC errors are each one :class:`~appliance.submission.errors.RelayError`
kind, counted per relay. A relay failing ``skip_after`` times in a row is skipped for a backoff
that doubles up to ``max_backoff_s``; one success resets it. :class:`RelaySet` sends to every
available relay at once, and checks the safety latch right before each send: after a kill-switch
press nothing leaves, whatever was in flight.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import trio

from appliance.safety import SafetyLatch
from appliance.submission.errors import (
    NoRelayAvailable,
    RelayError,
    RelayMalformed,
    RelayRefused,
    RelayUnavailable,
)
from appliance.submission.identity import SearcherIdentity, signature_header

__all__ = ["RelayClient", "RelayHealth", "RelaySet"]

MAX_ANSWER = 1 << 20  # a relay's answer is small; a larger one is malformed
METHOD_NOT_FOUND = -32601


@dataclass(slots=True)
class RelayHealth:
    """Per relay: what it answered, and whether it is skipped now."""

    host: str
    sent: int = 0
    ok: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # by RelayError kind
    consecutive: int = 0
    skip_until: float = 0.0
    last_error: str = ""


class RelayClient:
    """One relay. ``http`` is shared (one connection pool); ``timeout_s`` bounds each request."""

    def __init__(
        self,
        url: str,
        identity: SearcherIdentity,
        *,
        http: httpx.AsyncClient,
        timeout_s: float = 2.0,
    ) -> None:
        self.url = url
        parts = urlsplit(url)
        self.host = parts.hostname or "?"
        if parts.port:
            self.host = f"{self.host}:{parts.port}"
        self.identity = identity
        self.http = http
        self.timeout_s = timeout_s
        self.health = RelayHealth(self.host)
        self.offers_call_bundle = True  # False once it answered "method not found"
        self._ids = itertools.count(1)

    async def request(self, method: str, params: list[Any]) -> Any:
        request_id = next(self._ids)
        body = json.dumps(
            {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params},
            separators=(",", ":"),
        ).encode()
        headers = {"Content-Type": "application/json", **signature_header(self.identity, body)}
        try:
            with trio.fail_after(self.timeout_s):
                answer = await self.http.post(self.url, content=body, headers=headers)
        except trio.TooSlowError:
            raise RelayUnavailable(
                self.host, method, f"no answer within {self.timeout_s} s"
            ) from None
        except httpx.HTTPError as exc:
            raise RelayUnavailable(self.host, method, type(exc).__name__) from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise RelayUnavailable(self.host, method, f"HTTP {answer.status_code}")
        if len(answer.content) > MAX_ANSWER:
            raise RelayMalformed(self.host, method, f"answer of {len(answer.content)} bytes")
        try:
            doc = json.loads(answer.content)
        except ValueError:
            raise RelayMalformed(
                self.host, method, f"HTTP {answer.status_code}, not JSON: {answer.text[:60]!r}"
            ) from None
        if not isinstance(doc, dict) or doc.get("id") != request_id:
            raise RelayMalformed(self.host, method, f"not the answer to request {request_id}")
        if "error" in doc:
            error = doc["error"]
            if not isinstance(error, dict):
                raise RelayMalformed(self.host, method, f"error is {error!r:.60}")
            code = error.get("code")
            raise RelayRefused(
                self.host,
                method,
                code if isinstance(code, int) else 0,
                str(error.get("message", "")),
            )
        if answer.status_code >= 400:
            raise RelayRefused(self.host, method, answer.status_code, answer.text[:200])
        if "result" not in doc:
            raise RelayMalformed(self.host, method, "neither result nor error")
        return doc["result"]

    async def send_bundle(self, raw_txs: Sequence[bytes], block: int) -> str | None:
        """``eth_sendBundle`` for target ``block``; the relay's bundle hash when it gives one."""
        result = await self.request(
            "eth_sendBundle",
            [{"txs": ["0x" + tx.hex() for tx in raw_txs], "blockNumber": hex(block)}],
        )
        if result is None:
            return None
        if not isinstance(result, dict):
            raise RelayMalformed(self.host, "eth_sendBundle", f"result {result!r:.60}")
        bundle_hash = result.get("bundleHash")
        return bundle_hash if isinstance(bundle_hash, str) else None

    async def call_bundle(
        self, raw_txs: Sequence[bytes], block: int, state_block: int
    ) -> dict | None:
        """``eth_callBundle``: the relay's simulation (``results`` per transaction). None when the
        relay does not offer it ("method not found": remembered, not asked again, not a failure)."""
        try:
            result = await self.request(
                "eth_callBundle",
                [
                    {
                        "txs": ["0x" + tx.hex() for tx in raw_txs],
                        "blockNumber": hex(block),
                        "stateBlockNumber": hex(state_block),
                    }
                ],
            )
        except RelayRefused as exc:
            if exc.code != METHOD_NOT_FOUND:
                raise
            self.offers_call_bundle = False
            return None
        if not isinstance(result, dict) or not isinstance(result.get("results"), list):
            raise RelayMalformed(self.host, "eth_callBundle", f"result {result!r:.80}")
        return result

    async def send_private_transaction(self, raw: bytes, max_block: int) -> str:
        result = await self.request(
            "eth_sendPrivateTransaction",
            [{"tx": "0x" + raw.hex(), "maxBlockNumber": hex(max_block)}],
        )
        if not isinstance(result, str) or len(result) != 66:
            raise RelayMalformed(self.host, "eth_sendPrivateTransaction", f"result {result!r:.60}")
        return result


class RelaySet:
    """The configured relays, sent to at once, each with its own health and backoff."""

    def __init__(
        self,
        relays: Sequence[RelayClient],
        *,
        latch: SafetyLatch,
        skip_after: int = 3,
        base_backoff_s: float = 2.0,
        max_backoff_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.relays = list(relays)
        self.latch = latch
        self.skip_after = skip_after
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.clock = clock

    def available(self) -> list[RelayClient]:
        now = self.clock()
        return [r for r in self.relays if r.health.skip_until <= now]

    def health(self) -> tuple[RelayHealth, ...]:
        return tuple(r.health for r in self.relays)

    def _record(self, relay: RelayClient, error: RelayError | None) -> None:
        h = relay.health
        h.sent += 1
        if error is None:
            h.ok += 1
            h.consecutive = 0
            h.skip_until = 0.0
            return
        h.failures[error.kind] += 1
        h.consecutive += 1
        h.last_error = str(error)
        if h.consecutive >= self.skip_after:
            doublings = h.consecutive - self.skip_after
            backoff = min(self.max_backoff_s, self.base_backoff_s * 2**doublings)
            h.skip_until = self.clock() + backoff

    async def each(
        self,
        send: Callable[[RelayClient], Any],
        *,
        only: Callable[[RelayClient], bool] | None = None,
    ) -> dict[str, Any | RelayError]:
        """Run ``send(relay)`` on every available relay at once; per host, a result or error.

        The latch is checked right before each relay's send: a press stops what has not left.
        ``only`` narrows the relays asked (e.g. those offering ``eth_callBundle``).
        """
        self.latch.check()  # SigningHalted: nothing is sent anywhere
        relays = self.available()
        if only is not None:
            relays = [r for r in relays if only(r)]
            if not relays:
                return {}
        if not relays:
            raise NoRelayAvailable("every relay is failing or backing off: nothing sent")
        out: dict[str, Any | RelayError] = {}
        halted = False

        async def one(relay: RelayClient) -> None:
            nonlocal halted
            if self.latch.tripped:  # a press while the others were being sent
                halted = True
                return
            try:
                out[relay.host] = await send(relay)
            except RelayError as exc:
                out[relay.host] = exc
                self._record(relay, exc)
            else:
                self._record(relay, None)

        async with trio.open_nursery() as nursery:
            for relay in relays:
                nursery.start_soon(one, relay)
        if halted:
            self.latch.check()
        return out

    async def send_bundle(self, raw_txs: Sequence[bytes], block: int) -> dict[str, Any]:
        return await self.each(lambda relay: relay.send_bundle(raw_txs, block))

    async def call_bundle(self, raw_txs: Sequence[bytes], block: int, state_block: int):
        """Simulate at every available relay that offers ``eth_callBundle`` ({} when none does)."""
        return await self.each(
            lambda relay: relay.call_bundle(raw_txs, block, state_block),
            only=lambda relay: relay.offers_call_bundle,
        )

    async def send_private_transaction(self, raw: bytes, max_block: int) -> dict[str, Any]:
        return await self.each(lambda relay: relay.send_private_transaction(raw, max_block))
