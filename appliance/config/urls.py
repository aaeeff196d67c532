"""RPC URLs carry credentials: how to show one without them, and which parts are secret.

Providers put the credential in three places: ``user:password@host``, a path segment (Infura
``/v3/<key>``, Alchemy ``/v2/<key>``, QuickNode ``/<token>/``) and the query string
(``?apikey=...``). :func:`redact_url` keeps what an operator needs to recognise the endpoint
(scheme, host, port, short path words) and masks the rest; :func:`url_secrets` lists the secret
parts so the log filter can mask them wherever they appear (an httpx error quoting the URL).
Both are pure and never raise, even on a malformed URL.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

__all__ = ["MASK", "redact_url", "url_secrets"]

MASK = "***"
_TOKENISH = re.compile(r"^[A-Za-z0-9_.~=+-]{16,}$")  # a long opaque segment: an API key
_VERSION = re.compile(r"^v\d+$")  # /v2/<key>, /v3/<key>: whatever follows is the key
MIN_LOG_SECRET = 6  # shorter values are not registered with the log filter (they would mask noise)


def _secret_segments(path: str) -> list[int]:
    segments = path.split("/")
    out = []
    for i, seg in enumerate(segments):
        if not seg:
            continue
        after_version = i > 0 and _VERSION.match(segments[i - 1] or "")
        if _TOKENISH.match(seg) or after_version:
            out.append(i)
    return out


def _split(url: str):
    try:
        return urlsplit(url)
    except ValueError:
        return None


def redact_url(url: str) -> str:
    """``url`` with userinfo, key-like path segments, query values and fragment masked."""
    parts = _split(url)
    if parts is None or not parts.scheme:
        return "<malformed URL>" if parts is None else MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
    segments = parts.path.split("/")
    for i in _secret_segments(parts.path):
        segments[i] = MASK
    text = f"{parts.scheme}://{netloc}{'/'.join(segments)}"
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        text += "?" + "&".join(f"{k}={MASK}" for k, _ in pairs) if pairs else "?" + MASK
    if parts.fragment:
        text += "#" + MASK
    return text


def url_secrets(url: str) -> list[str]:
    """The secret substrings of ``url`` (for the log filter), longest first."""
    parts = _split(url)
    if parts is None:
        return [url]  # cannot tell the parts apart: mask the whole string
    found: set[str] = set()
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        found.add(userinfo)
        found.update(userinfo.split(":", 1))
    segments = parts.path.split("/")
    found.update(segments[i] for i in _secret_segments(parts.path))
    found.update(v for _, v in parse_qsl(parts.query, keep_blank_values=True))
    if parts.query:
        found.add(parts.query)
    if parts.fragment:
        found.add(parts.fragment)
    return sorted((s for s in found if len(s) >= MIN_LOG_SECRET), key=len, reverse=True)
