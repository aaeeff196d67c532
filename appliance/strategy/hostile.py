"""Hostile-token detection: a simulated tiny round trip through the token's own pool.

Fee-on-transfer, rebasing and transfer-blocking tokens break the exact arithmetic every cycle
relies on (the pool or the next hop receives less than computed), so they are found *before*
trading and deny-listed. The probe (``contracts/probe.vy``) is never deployed: an ``eth_call``
places its runtime code at :data:`PROBE_ADDRESS` with the state-override set and calls
``probe(pair, token, amount)``. Inside that one simulated call it flash-borrows ``amount`` of the
token from the pair (``swap`` with callback data), checks what arrived, passes half on to a sink,
checks both balances, and reverts with the measurements; ``probe`` returns that revert data.
Nothing persists and no funds or approvals are needed, on any node that supports state
overrides (geth, erigon, reth, anvil).

Verdicts (:func:`classify`):

* ``transfer_blocked`` — the pair's transfer out, or ours, reverted or returned false;
* ``rebasing``         — the pair holds fewer tokens than its recorded reserve (balances moved by
                         themselves: an honest token can only leave a surplus, never a deficit);
* ``fee_on_transfer``  — fewer tokens arrived than the pair sent, or the sink got fewer than sent.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector

from appliance.events import TokenDenied
from appliance.strategy.errors import ProbeArtifactError, ProbeFailed

__all__ = [
    "COMPILER",
    "PROBE_ADDRESS",
    "EthCall",
    "ProbeResult",
    "classify",
    "compile_probe",
    "load_probe_runtime",
    "probe_calldata",
    "probe_token",
    "write_probe_artifact",
]

COMPILER = "vyper 0.4.3"
PROBE_ADDRESS = "0x00000000000000000000000000000000A7B0B0E1"  # throwaway, never holds code on-chain
MAGIC = b"prob"
_PKG = "appliance.strategy"
_SELECTOR = function_signature_to_4byte_selector("probe(address,address,uint256)")
_FIELDS = ("uint256",) * 6 + ("bool", "uint256", "uint256")

# eth_call(to, data, block, state_override) -> return data (appliance.chain.RpcPool.eth_call)
EthCall = Callable[[str, bytes, Any, dict[str, Any] | None], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    expected: int  # what the pair sent
    received: int  # what arrived at the probe
    sent: int  # what the probe passed on to the sink
    kept: int  # the probe's balance after passing it on
    sink_before: int
    sink_after: int
    transfer_ok: bool
    pair_reserve: int
    pair_balance: int


def _contract_file(name: str):
    return resources.files(_PKG).joinpath("contracts", name)


def compile_probe() -> dict[str, Any]:
    """Compile ``contracts/probe.vy`` (dev dependency ``vyper``) into the artifact dict."""
    import vyper

    if not COMPILER.endswith(vyper.__version__):
        raise ProbeArtifactError(f"need {COMPILER}, found vyper {vyper.__version__!r}")
    source = _contract_file("probe.vy").read_text()
    out = vyper.compile_code(
        source, contract_path="probe.vy", output_formats=["abi", "bytecode_runtime"]
    )
    return {
        "contract": "probe",
        "compiler": COMPILER,
        "abi": out["abi"],
        "bytecode_runtime": out["bytecode_runtime"],
    }


def write_probe_artifact() -> None:
    """Regenerate ``contracts/probe.json`` after editing the source (run from a source tree)."""
    path = _contract_file("probe.json")
    path.write_text(json.dumps(compile_probe(), indent=1, sort_keys=True) + "\n")  # type: ignore[union-attr]


def load_probe_runtime() -> bytes:
    """The probe's runtime bytecode from the committed artifact."""
    try:
        data = json.loads(_contract_file("probe.json").read_text())
        return bytes.fromhex(data["bytecode_runtime"].removeprefix("0x"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProbeArtifactError(f"probe artifact unreadable: {exc}") from None


def probe_calldata(pair: str, token: str, amount: int) -> bytes:
    return _SELECTOR + abi_encode(["address", "address", "uint256"], [pair, token, amount])


def _decode(raw: bytes) -> ProbeResult | str:
    """The measurements, or the revert reason of a swap that failed before the callback."""
    (resp,) = abi_decode(["bytes"], raw)
    if resp[:4] == MAGIC:
        return ProbeResult(*abi_decode(list(_FIELDS), resp[4:]))
    if resp[:4] == bytes.fromhex("08c379a0"):  # Error(string)
        try:
            (reason,) = abi_decode(["string"], resp[4:])
            return reason
        except Exception:
            return resp.hex()
    return "0x" + resp.hex() if resp else "reverted without reason"


def classify(result: ProbeResult | str) -> str | None:
    """The deny reason for a probe outcome, or None for an honest token."""
    if isinstance(result, str):
        return f"transfer_blocked: swap out of the pair reverted ({result})"
    if not result.transfer_ok:
        return "transfer_blocked: transfer to another holder failed"
    if result.pair_balance < result.pair_reserve:
        return f"rebasing: pair holds {result.pair_balance} < reserve {result.pair_reserve}"
    if result.received < result.expected:
        return f"fee_on_transfer: {result.expected} sent by the pair, {result.received} received"
    credited = result.sink_after - result.sink_before
    debited = result.received - result.kept
    if debited != result.sent or credited != result.sent:
        return f"fee_on_transfer: sent {result.sent}, debited {debited}, credited {credited}"
    return None


async def probe_token(
    eth_call: EthCall,
    *,
    token: str,
    pair: str,
    reserve: int,
    block: int | str = "latest",
    runtime: bytes | None = None,
) -> TokenDenied | None:
    """Probe ``token`` through ``pair`` (whose reserve of it is ``reserve``).

    Returns a :class:`TokenDenied` for a hostile token, None for an honest one; raises
    :class:`ProbeFailed` when the call itself fails (nothing is concluded then).
    """
    if reserve < 1000:
        raise ProbeFailed(f"reserve {reserve} of {token} in {pair} is too small to probe")
    amount = max(reserve // 10_000, 1)
    code = runtime if runtime is not None else load_probe_runtime()
    override = {PROBE_ADDRESS: {"code": "0x" + code.hex()}}
    try:
        raw = await eth_call(PROBE_ADDRESS, probe_calldata(pair, token, amount), block, override)
    except Exception as exc:  # the RPC layer's errors: unknown outcome, try again later
        raise ProbeFailed(f"probe of {token} via {pair} failed: {exc}") from exc
    try:
        outcome = _decode(raw)
    except Exception as exc:
        raise ProbeFailed(f"probe of {token} returned undecodable data {raw[:64].hex()!r}") from exc
    reason = classify(outcome)
    return None if reason is None else TokenDenied(token=token, reason=reason)
