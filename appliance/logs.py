"""Logging: journald with structured fields under systemd, plain text elsewhere, secrets masked.

Structured fields: pass ``extra={"MODE": "NORMAL", "BLOCK": 19000123, "TX": "0xabc..."}`` (any
UPPERCASE key is a journal field; ``journalctl -u arb-appliance BLOCK=19000123`` finds it). In text
mode the same fields are appended as ``mode=... block=... tx=...``.

Redaction (belt and braces — secrets should never reach a log call in the first place): every
record passes :class:`RedactionFilter` on its way to a handler. It masks

* any 64-hex-digit run (a private key looks exactly like a tx hash): shortened to ``0x1234…cdef``,
  which keeps hashes recognisable and leaves 224 bits of a key unknown;
* registered secrets (the loaded key, webhook URLs, the secret parts of every RPC URL: see
  :func:`register_config_secrets`) wherever they appear, in full;
* Telegram bot tokens, Discord/Slack webhook paths, ``user:password@`` in URLs, the key after an
  API version segment (Infura ``/v3/<key>``, Alchemy ``/v2/<key>``) and credential-like query
  values (``?apikey=``, ``api_key=``, ``token=``, ``key=``) of URLs that were not registered.

The message, its arguments and exception text are all rendered and masked before any handler
sees them. httpx logs full request URLs at INFO; its loggers are raised to WARNING.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

from appliance.config.urls import url_secrets

__all__ = [
    "FIELDS",
    "RedactionFilter",
    "redact",
    "register_config_secrets",
    "setup_logging",
    "under_systemd",
]

FIELDS = ("MODE", "BLOCK", "TX", "ORDER", "POOL", "ENDPOINT")
_FIELD_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_HEX64 = re.compile(r"(?<![0-9A-Za-z])(0x)?([0-9a-fA-F]{64})(?![0-9A-Za-z])")
_PATTERNS = (
    (re.compile(r"(bot)\d{5,}:[A-Za-z0-9_-]{20,}"), r"\1***"),  # Telegram bot token
    (re.compile(r"(/api/webhooks/\d+/)[A-Za-z0-9_.-]+"), r"\1***"),  # Discord
    (re.compile(r"(hooks\.slack\.com/services/)[A-Za-z0-9/_-]+"), r"\1***"),  # Slack
    (re.compile(r"(://)[^/@\s:]+:[^/@\s]+@"), r"\1***@"),  # user:password@host
    (re.compile(r"(://[^/\s]+/(?:[^/\s]+/)*v\d+/)[A-Za-z0-9_-]{8,}"), r"\1***"),  # /v3/<key>
    (
        re.compile(
            r"([?&](?:api[-_]?key|apikey|key|token|access[-_]?token|secret)=)[^&\s#'\"]+", re.I
        ),
        r"\1***",
    ),
)
_NOISY = ("httpx", "httpcore", "hpack")


def _shorten(match: re.Match[str]) -> str:
    digits = match.group(2)
    return f"0x{digits[:4]}…{digits[-4:]}"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[REDACTED]")
    text = _HEX64.sub(_shorten, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactionFilter(logging.Filter):
    """Renders each record's message (and exception) once and masks secrets in it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: list[str] = [s for s in secrets if s]
        self._formatter = logging.Formatter()

    def add_secret(self, secret: str) -> None:
        """Mask ``secret`` (and its 0x-less/0x-prefixed twin for hex keys) from now on."""
        if not secret:
            return
        variants = {secret}
        if secret.lower().startswith("0x"):
            variants.add(secret[2:])
        for v in variants:
            if v not in self._secrets:
                self._secrets.append(v)
        self._secrets.sort(key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format: keep the raw template
            message = str(record.msg)
        record.msg = redact(message, self._secrets)
        record.args = None
        if record.exc_info:
            text = record.exc_text or self._formatter.formatException(record.exc_info)
            record.exc_text = redact(text, self._secrets)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        for key in FIELDS:
            value = getattr(record, key, None)
            if isinstance(value, str) and key != "TX":
                setattr(record, key, redact(value, self._secrets))
        record._redacted = True
        return True


def register_config_secrets(redaction: RedactionFilter, cfg: Any) -> None:
    """Mask what the config holds that must never be logged: the secret parts of every RPC URL
    (``chain.rpc``, ``execution.private_rpc``, ``execution.relays``) and every webhook URL, in full wherever they
    appear (an httpx error quoting the URL, a traceback)."""
    chain = getattr(cfg, "chain", None)
    urls = list(getattr(chain, "rpc", ()) or ())
    private = getattr(getattr(cfg, "execution", None), "private_rpc", None)
    if private:
        urls.append(private)
    urls.extend(getattr(getattr(cfg, "execution", None), "relays", ()) or ())
    for entry in urls:
        for url in entry.split("|"):  # a chain.rpc entry may pair an HTTP and a WebSocket URL
            for secret in url_secrets(url.strip()):
                redaction.add_secret(secret)
    for hook in getattr(getattr(cfg, "alerts", None), "webhooks", ()) or ():
        redaction.add_secret(hook.url)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = [
            f"{k.lower()}={getattr(record, k)}"
            for k in FIELDS
            if getattr(record, k, None) is not None
        ]
        return f"{text} {' '.join(fields)}" if fields else text


def _journal_handler(sender: Callable[..., object] | None):
    from systemd import journal

    class JournalFieldsHandler(journal.JournalHandler):
        """Like JournalHandler, but sends only MESSAGE, the standard fields and UPPERCASE extras
        (the stock handler forwards every record attribute, including the raw ``args``)."""

        def emit(self, record: logging.LogRecord) -> None:
            try:
                fields = {
                    k: v for k, v in vars(record).items() if _FIELD_RE.match(k) and v is not None
                }
                if record.exc_text:
                    fields["EXCEPTION_TEXT"] = record.exc_text
                fields.update(self._extra)
                self.send(
                    self.format(record),
                    PRIORITY=format(self.map_priority(record.levelno)),
                    LOGGER=record.name,
                    THREAD_NAME=record.threadName,
                    CODE_FILE=record.pathname,
                    CODE_LINE=record.lineno,
                    CODE_FUNC=record.funcName,
                    **fields,
                )
            except Exception:
                self.handleError(record)

    kwargs = {"SYSLOG_IDENTIFIER": "arb-appliance"}
    if sender is not None:
        return JournalFieldsHandler(sender_function=sender, **kwargs)
    return JournalFieldsHandler(**kwargs)


def under_systemd(env: Mapping[str, str] = os.environ) -> bool:
    """True when started by systemd with the journal attached (``JOURNAL_STREAM``/``INVOCATION_ID``)."""
    return bool(env.get("JOURNAL_STREAM") or env.get("INVOCATION_ID"))


def setup_logging(
    level: int | str = logging.INFO,
    *,
    env: Mapping[str, str] = os.environ,
    stream: TextIO | None = None,
    secrets: Iterable[str] = (),
    journal_sender: Callable[..., object] | None = None,
    logger: logging.Logger | None = None,
) -> RedactionFilter:
    """Configure ``logger`` (default: the root logger) once; returns the filter to add secrets to.

    Replaces the handlers this function installed before (safe to call twice), leaves others alone.
    """
    target = logger if logger is not None else logging.getLogger()
    for handler in list(target.handlers):
        if getattr(handler, "_arb_appliance", False):
            target.removeHandler(handler)
            handler.close()
    redaction = RedactionFilter(secrets)
    if under_systemd(env) or journal_sender is not None:
        try:
            handler: logging.Handler = _journal_handler(journal_sender)
            handler.setFormatter(logging.Formatter("%(message)s"))
        except ImportError:
            handler = logging.StreamHandler(stream or sys.stderr)
            handler.setFormatter(_TextFormatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redaction)
    handler._arb_appliance = True  # type: ignore[attr-defined]
    target.addHandler(handler)
    target.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    return redaction
