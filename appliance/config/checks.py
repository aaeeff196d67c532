"""Reusable value checks for config settings: each returns a reason string, or None when fine."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

from appliance.config.urls import redact_url

__all__ = ["checksum_address", "http_url", "ip_network", "webhook_url"]

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
