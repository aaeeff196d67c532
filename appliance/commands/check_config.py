"""``arb-appliance check-config``: validate and print the effective config, secrets redacted."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from appliance.config import AppConfig, load_config
from appliance.config.dirs import check_storage_dirs

REDACTED = "<redacted>"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of TOML-like text")


def effective(cfg: AppConfig) -> dict[str, Any]:
    """The config as plain data: every ``secret`` setting replaced by ``<redacted>``, every URL
    with a ``redact`` function (RPC endpoints) shown without its credentials."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            out = {}
            for f in dataclasses.fields(value):
                if f.name == "path":
                    continue
                v = getattr(value, f.name)
                secret = f.metadata.get("secret", False)
                shown = f.metadata.get("redact")
                if secret and v is not None:
                    out[f.name] = REDACTED
                elif shown is not None and v is not None:
                    out[f.name] = [shown(x) for x in v] if isinstance(v, tuple) else shown(v)
                else:
                    out[f.name] = plain(v)
            return out
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value

    return plain(cfg)


def main(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    check_storage_dirs(
        cfg
    )  # what `run` would refuse about data_dir / runtime_dir (creates nothing)
    data = effective(cfg)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"# {cfg.path}: valid")
    _print_table(data, "")
    return 0


def _print_table(data: dict[str, Any], prefix: str) -> None:
    scalars = {
        k: v
        for k, v in data.items()
        if not isinstance(v, (dict, list))
        or (isinstance(v, list) and not (v and isinstance(v[0], dict)))
    }
    for key, value in scalars.items():
        print(f"{prefix}{key} = {json.dumps(value)}")
    for key, value in data.items():
        if isinstance(value, dict):
            _print_table(value, f"{prefix}{key}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, item in enumerate(value):
                _print_table(item, f"{prefix}{key}[{i}].")
