"""The JSON-RPC 2.0 answer parser: bytes from the wire in, a value or a typed error out.

Nothing here does I/O, so the whole contract is testable (and fuzzed with Hypothesis): for any
input :func:`parse_single` and :func:`parse_batch` return a value or raise an :class:`RpcError`
subclass — never anything else.
"""

from __future__ import annotations

import json
from typing import Any

from eth_abi import decode as abi_decode

from appliance.chain.errors import (
    ExecutionReverted,
    InvalidParams,
    MalformedResponse,
    MethodNotFound,
    RateLimited,
    RpcCallError,
    RpcError,
)

__all__ = [
    "decode_revert_reason",
    "error_from_object",
    "parse_batch",
    "parse_single",
    "request_body",
]

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)


def request_body(requests: list[tuple[int, str, Any]]) -> list[dict[str, Any]]:
    """JSON-RPC request objects for ``(id, method, params)`` triples."""
    return [{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)} for i, m, p in requests]


def _loads(host: str, method: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise MalformedResponse(
            host, method, f"not JSON ({len(body)} bytes): {str(exc)[:80]}"
        ) from None


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def decode_revert_reason(data: Any) -> str:
    """A readable reason from revert data (``0x``-hex): Error(string), Panic(uint256) or raw."""
    if not isinstance(data, str) or not data.startswith("0x"):
        return ""
    try:
        raw = bytes.fromhex(data[2:])
    except ValueError:
        return ""
    if raw[:4] == ERROR_SELECTOR:
        try:
            (reason,) = abi_decode(["string"], raw[4:])
            return str(reason)
        except Exception:  # eth-abi raises a wide family; any failure = undecodable
            return f"Error(undecodable {data[:74]})"
    if raw[:4] == PANIC_SELECTOR:
        try:
            (code,) = abi_decode(["uint256"], raw[4:])
            return f"Panic(0x{code:x})"
        except Exception:
            return f"Panic(undecodable {data[:74]})"
    return f"custom error {data[:74]}" if raw else ""


def error_from_object(host: str, method: str, err: Any) -> RpcError:
    """Map a JSON-RPC error object to the typed family (malformed objects included)."""
    if not isinstance(err, dict):
        return MalformedResponse(host, method, f"error is {type(err).__name__}, not an object")
    code, message = err.get("code"), err.get("message", "")
    if not _is_int(code):
        return MalformedResponse(host, method, f"error code {code!r} is not an integer")
    if not isinstance(message, str):
        return MalformedResponse(host, method, f"error message {message!r:.80} is not a string")
    data = err.get("data")
    lowered = message.lower()
    if code == 3 or "revert" in lowered:
        reason = decode_revert_reason(data)
        if not reason and ":" in message:
            reason = message.split(":", 1)[1].strip()
        return ExecutionReverted(host, method, code, message, data, reason)
    if code == -32601:
        return MethodNotFound(host, method, code, message, data)
    if code == -32602:
        return InvalidParams(host, method, code, message, data)
    if code in (-32005, 429) or "rate limit" in lowered or "too many requests" in lowered:
        return RateLimited(host, method, f"error {code}: {message[:200]!r}")
    return RpcCallError(host, method, code, message, data)


def _check_envelope(host: str, method: str, obj: Any) -> None:
    if not isinstance(obj, dict):
        raise MalformedResponse(host, method, f"answer is {type(obj).__name__}, not an object")
    if obj.get("jsonrpc") != "2.0":
        raise MalformedResponse(host, method, f"jsonrpc field is {obj.get('jsonrpc')!r}, not '2.0'")
    has_result, has_error = "result" in obj, "error" in obj
    if has_result == has_error:
        raise MalformedResponse(host, method, "answer must hold exactly one of result and error")


def _value(host: str, method: str, obj: dict[str, Any]) -> Any | RpcError:
    if "error" in obj:
        return error_from_object(host, method, obj["error"])
    return obj["result"]


def parse_single(host: str, method: str, body: bytes, expected_id: int) -> Any:
    """The ``result`` of a single answer; raises the typed error for an error object."""
    obj = _loads(host, method, body)
    if isinstance(obj, dict) and "error" in obj and obj.get("id") is None:
        # some servers answer a rejected request with id null (rate limits, parse errors)
        _check_envelope(host, method, obj)
        raise error_from_object(host, method, obj["error"])
    _check_envelope(host, method, obj)
    got = obj.get("id")
    if not _is_int(got) or got != expected_id:
        raise MalformedResponse(
            host, method, f"answer id {got!r:.40} does not match request id {expected_id}"
        )
    value = _value(host, method, obj)
    if isinstance(value, RpcError):
        raise value
    return value


def parse_batch(host: str, methods: list[str], body: bytes, ids: list[int]) -> list[Any | RpcError]:
    """Per-request values (or :class:`RpcError` instances), in request order.

    A batch answer that is not a list, lacks a request, repeats one or names an unknown id is
    malformed as a whole: the endpoint cannot be trusted with the rest of it either.
    """
    label = f"batch[{len(ids)}]"
    obj = _loads(host, label, body)
    if isinstance(obj, dict):  # a whole-batch rejection (rate limit, batch too large, ...)
        _check_envelope(host, label, obj)
        if "error" in obj:
            raise error_from_object(host, label, obj["error"])
        raise MalformedResponse(host, label, "batch answered with a single result")
    if not isinstance(obj, list):
        raise MalformedResponse(host, label, f"answer is {type(obj).__name__}, not a list")
    position = {rid: i for i, rid in enumerate(ids)}
    out: list[Any | RpcError] = [None] * len(ids)
    seen: set[int] = set()
    for item in obj:
        if not isinstance(item, dict):
            raise MalformedResponse(
                host, label, f"batch item is {type(item).__name__}, not an object"
            )
        rid = item.get("id")
        if not _is_int(rid) or rid not in position:
            raise MalformedResponse(host, label, f"batch item id {rid!r:.40} was not requested")
        if rid in seen:
            raise MalformedResponse(host, label, f"batch item id {rid} answered twice")
        seen.add(rid)
        method = methods[position[rid]]
        _check_envelope(host, method, item)
        out[position[rid]] = _value(host, method, item)
    if len(seen) != len(ids):
        missing = [i for i in ids if i not in seen]
        raise MalformedResponse(
            host, label, f"{len(missing)} of {len(ids)} requests unanswered (ids {missing[:5]})"
        )
    return out
