"""Reusable value checks for config settings: each returns a reason string, or None when fine."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

from appliance.config.urls import redact_url

__all__ = [
    "checksum_address",
    "http_url",
    "ip_network",
    "redact_rpc_endpoint",
    "rpc_endpoint",
    "split_rpc_endpoint",
    "webhook_url",
]

_HEX40 = re.compile(r"^0x[0-9a-fA-F]{40}$")


def checksum_address(value: str) -> str | None:
    if not _HEX40.match(value) or not is_hex_address(value):
        return f"must be a 0x-prefixed 20-byte hex address, not {value!r}"
    if not is_checksum_address(value):
        return (
            f"address {value!r} is not EIP-55 checksummed (expected {to_checksum_address(value)})"
        )
    return None


def http_url(value: str) -> str | None:
    """An http(s) URL with a host and a valid port. Reasons show it redacted (RPC URLs carry
    API keys: :func:`~appliance.config.urls.redact_url`), never raw."""
    shown = redact_url(value)
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # "Invalid IPv6 URL" for http://[::1
        return f"URL is malformed ({exc}): {shown!r}"
    if parts.scheme not in ("http", "https"):
        return f"URL scheme must be http or https, not {parts.scheme or 'missing'!r} in {shown!r}"
    if not parts.hostname:
        return f"URL has no host: {shown!r}"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"URL has a bad port: {shown!r}"
    return None


def webhook_url(value: str) -> str | None:
    """Like :func:`http_url`, but the reason never quotes the URL: webhook URLs carry tokens."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return "URL is malformed"
    shown = f"{parts.scheme}://{parts.hostname or ''}/..." if parts.scheme else "<redacted>"
    if parts.scheme not in ("http", "https"):
        return f"URL scheme must be http or https, not {parts.scheme or 'missing'!r} ({shown})"
    if not parts.hostname:
        return "URL has no host"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"URL has a bad port ({shown})"
    return None


def ip_network(value: str) -> str | None:
    """An IPv4 or IPv6 network in CIDR notation (``10.0.0.0/8``, ``192.168.1.7``, ``::1/128``)."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"must be an IP network such as '10.0.0.0/8' or '192.168.1.7', not {value!r}"
    return None


def _url(value: str, schemes: tuple[str, ...]) -> str | None:
    """Like :func:`http_url` for any of ``schemes``; reasons show the URL redacted."""
    shown = redact_url(value)
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        return f"URL is malformed ({exc}): {shown!r}"
    if parts.scheme not in schemes:
        names = " or ".join(schemes)
        return f"URL scheme must be {names}, not {parts.scheme or 'missing'!r} in {shown!r}"
    if not parts.hostname:
        return f"URL has no host: {shown!r}"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"URL has a bad port: {shown!r}"
    return None


def _is_ws(part: str) -> bool:
    return part.split("://", 1)[0].lower() in ("ws", "wss")


def split_rpc_endpoint(value: str) -> tuple[str | None, str | None]:
    """``chain.rpc`` entry -> (HTTP URL, WebSocket URL): ``"http(s)://..."``, ``"ws(s)://..."``
    or the pair ``"http(s)://...|ws(s)://..."`` (either order). Call after :func:`rpc_endpoint`."""
    http = ws = None
    for part in value.split("|"):
        part = part.strip()
        if _is_ws(part):
            ws = part
        else:
            http = part
    return http, ws


def rpc_endpoint(value: str) -> str | None:
    """One ``chain.rpc`` entry: an http(s) URL, a ws(s) URL, or "http-url|ws-url"."""
    parts = [p.strip() for p in value.split("|")]
    if len(parts) > 2:
        return f"an endpoint is one URL or an http-url|ws-url pair, not {len(parts)} URLs"
    if len(parts) == 1:
        return _url(parts[0], ("http", "https", "ws", "wss"))
    if sorted(_is_ws(p) for p in parts) != [False, True]:
        return f"a pair is one http(s) URL and one ws(s) URL: {redact_rpc_endpoint(value)!r}"
    for part in parts:
        reason = _url(part, ("ws", "wss") if _is_ws(part) else ("http", "https"))
        if reason:
            return reason
    return None


def redact_rpc_endpoint(value: str) -> str:
    """A ``chain.rpc`` entry for display: each URL of a pair redacted on its own."""
    return "|".join(redact_url(part.strip()) for part in value.split("|"))
