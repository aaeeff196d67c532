"""Reusable value checks for config settings: each returns a reason string, or None when fine."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

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
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        return f"URL scheme must be http or https, not {parts.scheme or 'missing'!r} in {value!r}"
    if not parts.hostname:
        return f"URL has no host: {value!r}"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"URL has a bad port: {value!r}"
    return None


def webhook_url(value: str) -> str | None:
    """Like :func:`http_url`, but the reason never quotes the URL: webhook URLs carry tokens."""
    parts = urlsplit(value)
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
