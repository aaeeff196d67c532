"""A small declarative schema: frozen dataclasses whose fields carry their own validation.

A section is a ``@dataclass(frozen=True)`` whose fields are declared with :func:`setting`. The
loader walks the annotations (``int``, ``float``, ``bool``, ``str``, ``Path``, ``X | None``,
``tuple[X, ...]`` and nested sections, including ``tuple[Section, ...]`` for ``[[array]]``
tables), rejects unknown keys and reports the first problem as ``file: key: reason``.
Adding a knob is adding one field; its ``doc`` is the config reference.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.config.errors import ConfigError

__all__ = ["REQUIRED", "parse_section", "setting"]

REQUIRED: Any = dataclasses.MISSING

Check = Callable[[Any], str | None]  # returns a reason when the value is wrong


def setting(
    default: Any = REQUIRED,
    *,
    doc: str,
    min: float | None = None,
    max: float | None = None,
    choices: tuple[Any, ...] | None = None,
    check: Check | None = None,
    secret: bool = False,
    min_items: int = 0,
    max_items: int | None = None,
    redact: Callable[[str], str] | None = None,
) -> Any:
    """One setting. ``secret``: shown as ``<redacted>``; ``redact``: shown through this function
    (a URL keeps its host, loses its credentials); ``min_items``/``max_items`` bound a list."""
    meta = {
        "doc": doc,
        "min": min,
        "max": max,
        "choices": choices,
        "check": check,
        "secret": secret,
        "min_items": min_items,
        "max_items": max_items,
        "redact": redact,
    }
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for list defaults")
    return dataclasses.field(default=default, metadata=meta)


def _type_name(tp: Any) -> str:
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is bool:
        return "true or false"
    if tp is str:
        return "a string"
    if tp is Path:
        return "a path string"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return str(tp)


def _describe(value: Any) -> str:
    return f"{value!r}" if not isinstance(value, dict) else "a table"


def _coerce(tp: Any, value: Any, key: str, where: Path, base_dir: Path) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _coerce(args[0], value, key, where, base_dir)
    if origin is tuple:
        (item_tp, _ellipsis) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(where, key, f"must be a list, not {_describe(value)}")
        return tuple(
            _coerce(item_tp, item, f"{key}[{i}]", where, base_dir) for i, item in enumerate(value)
        )
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(where, key, f"must be a table, not {_describe(value)}")
        return parse_section(tp, value, where, prefix=key, base_dir=base_dir)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(where, key, f"must be true or false, not {_describe(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(where, key, f"must be an integer, not {_describe(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(where, key, f"must be a number, not {_describe(value)}")
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(where, key, f"must be a finite number, not {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(where, key, f"must be a string, not {_describe(value)}")
        return value
    if tp is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(
                where, key, f"must be a non-empty path string, not {_describe(value)}"
            )
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base_dir / path)
    raise TypeError(f"unsupported config type {tp!r} for {key}")  # a bug in a section, not input


def parse_section(
    cls: type, table: dict[str, Any], where: Path, *, prefix: str = "", base_dir: Path | None = None
) -> Any:
    """Build section ``cls`` from TOML ``table``; raise :class:`ConfigError` on the first problem."""
    base_dir = base_dir if base_dir is not None else where.parent
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name in table:
        if name not in fields:
            full = f"{prefix}.{name}" if prefix else name
            known = ", ".join(sorted(fields))
            raise ConfigError(where, full, f"unknown key (known here: {known})")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        key = f"{prefix}.{name}" if prefix else name
        meta = f.metadata
        if name not in table:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                if dataclasses.is_dataclass(hints[name]):
                    raise ConfigError(where, key, f"is required (add a [{key}] table)")
                raise ConfigError(where, key, "is required")
            continue
        value = _coerce(hints[name], table[name], key, where, base_dir)
        _check(value, meta, key, where)
        values[name] = value
    try:
        section = cls(**values)
    except ValueError as exc:  # cross-field checks in __post_init__
        raise ConfigError(where, prefix or "(top level)", str(exc)) from None
    return section


def _check(value: Any, meta: typing.Mapping[str, Any], key: str, where: Path) -> None:
    if value is None:
        return
    items = value if isinstance(value, tuple) else (value,)
    if isinstance(value, tuple) and len(value) < meta.get("min_items", 0):
        raise ConfigError(where, key, f"needs at least {meta['min_items']} item(s)")
    most = meta.get("max_items")
    if isinstance(value, tuple) and most is not None and len(value) > most:
        raise ConfigError(where, key, f"lists {len(value)} items; at most {most} are supported")
    for item in items:
        lo, hi = meta.get("min"), meta.get("max")
        if lo is not None and item < lo:
            raise ConfigError(where, key, f"must be >= {lo}, not {item!r}")
        if hi is not None and item > hi:
            raise ConfigError(where, key, f"must be <= {hi}, not {item!r}")
        choices = meta.get("choices")
        if choices is not None and item not in choices:
            options = ", ".join(repr(c) for c in choices)
            raise ConfigError(where, key, f"must be one of {options}, not {item!r}")
        check = meta.get("check")
        if check is not None:
            reason = check(item)
            if reason:
                raise ConfigError(where, key, reason)


def iter_settings(cls: type, prefix: str = ""):
    """Yield ``(key, field)`` for every setting, depth first (for docs and redaction)."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        tp = hints[f.name]
        item = typing.get_args(tp)[0] if typing.get_origin(tp) is tuple else None
        if dataclasses.is_dataclass(tp):
            yield from iter_settings(tp, key)
        elif item is not None and dataclasses.is_dataclass(item):
            yield key, f
            yield from iter_settings(item, f"{key}[]")
        else:
            yield key, f
