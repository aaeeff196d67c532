"""Private and bundle submission of a signed trade: relays only, never the public endpoints.

``execution.submit``:

* ``bundle`` — the signed trade goes as ``eth_sendBundle`` to every configured relay at once for
  target block head + 1, after ``eth_callBundle`` at the relays that offer it (a relay that sees
  it revert drops the order before anything is sent). It is resubmitted for each next block while
  it is not mined and the target is within the executor's deadline block; a target past the
  deadline is never sent. Not included by then: dropped, its nonce released (the nonce is unused:
  no relay can include a bundle for a block that is past). Never sent publicly unless
  ``execution.public_fallback`` says so, and then only when no relay took the first send.
* ``private`` — ``eth_sendPrivateTransaction`` to the relays with ``maxBlockNumber`` = the
  deadline block; tracked until mined or the deadline passed (dropped, nonce released).

The kill switch stops every path at once: each relay round runs through
:meth:`~appliance.submission.relay.RelaySet.each`, which checks the latch before each relay's
request, so a press between two resubmissions sends nothing more; the flight is still watched
until its last target block has passed (a bundle already held by a relay may land), then settled
or dropped. The SIGNED journal row says how the trade went out (``reason`` ``bundle: deadline
block N`` / ``private: ...``), so recovery after a restart knows the nonce may still be taken.

Relay health goes out as :class:`~appliance.events.RelayHealthChanged` after every round.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import trio

from appliance.chain.errors import ChainError
from appliance.events import RelayHealthChanged, RelayStatus, TradeStatus, TradeUpdated
from appliance.execution.rpc import SendOutcome, classify_send_error
from appliance.safety import SigningHalted
from appliance.submission.errors import NoRelayAvailable, RelayError
from appliance.submission.relay import RelaySet

if TYPE_CHECKING:  # the pipeline calls in here; importing it back would be a cycle
    from appliance.execution.pipeline import InFlight, Pipeline

__all__ = [
    "PRIVATE_MODES",
    "first_submission",
    "relay_status",
    "submission_of",
    "submission_reason",
    "track_private",
]

log = logging.getLogger(__name__)

SettleFn = Callable[["Pipeline", "InFlight", dict[str, Any]], Awaitable[TradeUpdated]]

PRIVATE_MODES = frozenset({"private", "bundle"})
_REASON = re.compile(r"^(bundle|private): deadline block (\d+)(?:, coinbase (\d+) wei)?")


def submission_reason(mode: str, deadline: int, coinbase_wei: int = 0) -> str:
    """The SIGNED row's reason for a private/bundle send (parsed back by :func:`submission_of`)."""
    paid = f", coinbase {coinbase_wei} wei" if coinbase_wei else ""
    return f"{mode}: deadline block {deadline}{paid}"


def submission_of(reason: str | None) -> tuple[str, int, int] | None:
    """(mode, deadline block, coinbase wei) from a journal row's reason; None: a public send."""
    found = _REASON.match(reason or "")
    if not found:
        return None
    return found.group(1), int(found.group(2)), int(found.group(3) or 0)


def relay_status(relays: RelaySet) -> RelayHealthChanged:
    now = relays.clock()
    return RelayHealthChanged(
        tuple(
            RelayStatus(
                host=h.host,
                sent=h.sent,
                ok=h.ok,
                unavailable=h.failures["unavailable"],
                malformed=h.failures["malformed"],
                refused=h.failures["refused"],
                skipped=h.skip_until > now,
                last_error=h.last_error[:120],
            )
            for h in relays.health()
        )
    )


async def _report(pipe: Pipeline) -> None:
    if pipe.relays is not None and pipe.observe is not None:
        await pipe.observe(relay_status(pipe.relays))


def _accepted(answers: Mapping[str, Any]) -> list[str]:
    return [host for host, answer in answers.items() if not isinstance(answer, RelayError)]


def _errors(answers: Mapping[str, Any]) -> str:
    parts = [str(a) for a in answers.values() if isinstance(a, RelayError)]
    return "; ".join(parts)[:300] or "no relay available"


async def _release(pipe: Pipeline, nonce: int) -> None:
    """The nonce of a trade that never went on chain: give it back, or resync from the node."""
    assert pipe.nonces is not None
    if not pipe.nonces.release(nonce):
        await pipe.resync_nonce()


async def _drop(pipe: Pipeline, flight: InFlight, reason: str) -> TradeUpdated:
    await _release(pipe, flight.nonce)
    update = flight.update(TradeStatus.DROPPED, reason=reason)
    await pipe.finish(update)
    return update


def _sim_failure(answers: Mapping[str, Any]) -> str | None:
    """The first relay simulation in which our transaction failed, described; None: none did."""
    for host, answer in answers.items():
        if not isinstance(answer, dict):
            continue  # not offered (None) or the relay failed (counted): not a verdict
        for result in answer.get("results") or ():
            if isinstance(result, dict) and (result.get("error") or result.get("revert")):
                return f"{host}: {result.get('error') or result.get('revert')}"[:200]
    return None


async def first_submission(
    pipe: Pipeline, flight: InFlight, signed_row: TradeUpdated
) -> InFlight | None:
    """Submit ``flight`` (signed, journaled) to the relays; what to track, or None (finished)."""
    relays = pipe.relays
    assert relays is not None
    try:
        if flight.submit == "bundle":
            target = flight.block_sent + 1
            if target > flight.deadline:  # cannot happen with deadline_blocks >= 1; never sent
                await _drop(pipe, flight, f"bundle: stale: target {target} past the deadline")
                return None
            flight.target = target
            sims = await relays.call_bundle([flight.raw], target, flight.block_sent)
            failed = _sim_failure(sims)
            if failed is not None:
                await _report(pipe)
                await _drop(pipe, flight, f"bundle_sim: reverted at relay {failed}")
                return None
            answers = await relays.send_bundle([flight.raw], target)
        else:
            answers = await relays.send_private_transaction(flight.raw, flight.deadline)
    except SigningHalted as exc:
        pipe.stats.sends_held += 1
        await _drop(pipe, flight, f"kill_switch: signed but never sent: {exc}")
        return None
    except NoRelayAvailable as exc:
        answers, why = {}, str(exc)
    else:
        why = _errors(answers)
    await _report(pipe)
    if _accepted(answers):
        await pipe.emit(dataclasses.replace(signed_row, status=TradeStatus.SENT))
        return flight
    if pipe.ex.public_fallback:
        return await _public_fallback(pipe, flight, signed_row, why)
    if flight.submit == "bundle" and flight.target + 1 <= flight.deadline:
        # still valid for the next block (the head may have moved while it was prepared, or
        # the relays were down for a moment): the tracker resubmits per block to the deadline
        log.warning(
            "trade %s: no relay took the first bundle (%s); resubmitting", flight.order_id, why
        )
        await pipe.emit(dataclasses.replace(signed_row, status=TradeStatus.SENT))
        return flight
    pipe.stats.refused += 1
    await _drop(pipe, flight, f"{flight.submit}: no relay took it: {why}")
    return None


async def _public_fallback(
    pipe: Pipeline, flight: InFlight, signed_row: TradeUpdated, why: str
) -> InFlight | None:
    """``execution.public_fallback``: the first send went nowhere, so it goes public (as today)."""
    log.warning("trade %s: no relay took it (%s): sending publicly", flight.order_id, why)
    try:
        await pipe.send(flight.raw)
    except SigningHalted as exc:
        await _drop(pipe, flight, f"kill_switch: signed but never sent: {exc}")
        return None
    except ChainError as exc:
        refusal = classify_send_error(exc)
        if refusal.outcome in (SendOutcome.REFUSED, SendOutcome.NONCE):
            await _drop(pipe, flight, f"send_refused: {refusal.kind}: {refusal.message}")
            return None
    flight.submit = "public"
    await pipe.emit(dataclasses.replace(signed_row, status=TradeStatus.SENT))
    return flight


async def track_private(pipe: Pipeline, flight: InFlight, settle: SettleFn) -> TradeUpdated:
    """Follow a private/bundle flight to its receipt; resubmit a bundle for each next block.

    The head is read before the receipt: no receipt once the head is at the target means the
    target block did not include it. A flight rebuilt after a restart has no raw transaction:
    it is only watched until its deadline. ``settle`` is the tracker's (it calls in here).
    """
    halted = False
    while True:
        try:
            head = (await pipe.head()).number
            receipt = await pipe.rpc.get_transaction_receipt(flight.hashes[-1])
            if receipt is not None:
                try:
                    return await settle(pipe, flight, receipt)
                except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                    log.warning("trade %s: receipt rejected (%s); polling on", flight.order_id, exc)
            elif flight.submit == "private":
                if head >= flight.deadline:  # maxBlockNumber passed: the relay dropped it
                    return await _not_included(pipe, flight, head, halted, settle)
            elif head >= flight.target:  # the bundle's target block came without it
                if head + 1 > flight.deadline or not flight.raw or halted:
                    return await _not_included(pipe, flight, head, halted, settle)
                halted = await _resubmit(pipe, flight, head + 1)
        except ChainError as exc:
            log.warning("trade %s: tracking: %s", flight.order_id, exc)
        await trio.sleep(pipe.ex.receipt_poll_s)


async def _resubmit(pipe: Pipeline, flight: InFlight, target: int) -> bool:
    """Send the bundle again for ``target``; True when the latch stopped it (no more rounds)."""
    assert pipe.relays is not None
    try:
        answers = await pipe.relays.send_bundle([flight.raw], target)
    except SigningHalted:
        pipe.stats.sends_held += 1
        log.warning("trade %s: kill switch: bundle not resubmitted", flight.order_id)
        return True
    except NoRelayAvailable as exc:
        log.warning("trade %s: bundle for %d: %s", flight.order_id, target, exc)
    else:
        if not _accepted(answers):
            log.warning("trade %s: bundle for %d: %s", flight.order_id, target, _errors(answers))
    flight.target = target  # tried: the next round comes when this block has passed
    flight.resubmissions += 1
    await _report(pipe)
    return False


async def _not_included(
    pipe: Pipeline, flight: InFlight, head: int, halted: bool, settle: SettleFn
) -> TradeUpdated:
    """Past the last block it could land in: settle if the nonce went to ours after all, else drop."""
    try:
        if await pipe.rpc.get_transaction_count(pipe.sender, "latest") > flight.nonce:
            receipt = await pipe.rpc.get_transaction_receipt(flight.hashes[-1])
            if receipt is not None:
                return await settle(pipe, flight, receipt)
            return await _drop(pipe, flight, f"nonce: {flight.nonce} used by another transaction")
    except ChainError as exc:
        log.warning("trade %s: nonce check: %s", flight.order_id, exc)
    why = "kill_switch: resubmission stopped; " if halted else ""
    return await _drop(
        pipe,
        flight,
        f"{why}{flight.submit}: not included by block {head} (deadline {flight.deadline})",
    )
