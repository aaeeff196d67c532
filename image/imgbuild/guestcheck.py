"""The host side of ``make image-check``'s boot step: the guest's config, and the verdict.

The guest is the built image booted under ``qemu-system-aarch64 -M virt``. It reaches the host's
loopback Anvil only through qemu's ``guestfwd`` (user networking with ``restrict=on``): a
connection to ``GUEST_RPC_HOST:GUEST_RPC_PORT`` in the guest becomes one to the devnet on the
host's 127.0.0.1. The harness inside the guest (``image/guest/``, only on the boot disk's copy,
never in the shipped image) writes ``KEY=VALUE`` lines to ``arb-check-result.txt`` on the boot
partition; the host reads it back after the guest powered off and judges it here.

Run as ``python -m imgbuild.guestcheck config DEVNET.toml`` (the guest's config on stdout) or
``python -m imgbuild.guestcheck verdict RESULT.txt`` (the figures on stderr; one line naming the
first failed check and exit 1, or exit 0).
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from imgbuild.errors import ImageBuildError

__all__ = [
    "EMULATION_REQUEST_TIMEOUT_S",
    "GUEST_KEY_FILE",
    "GUEST_RPC_HOST",
    "GUEST_RPC_PORT",
    "GuestCheckFailed",
    "dump_toml",
    "guest_config",
    "parse_result",
    "verdict",
]

GUEST_RPC_HOST = "10.0.2.100"  # inside qemu's user network 10.0.2.0/24, not the gateway .2
GUEST_RPC_PORT = 8545
GUEST_KEY_FILE = "/var/lib/arb-appliance/key"  # where arb-appliance-firstboot puts the key
# The guest is fully emulated (TCG) on a shared build host: one JSON-RPC round trip through the
# guest's Python, qemu's user network and the relay took 0.5-2.2 s (load ~10), against a default
# chain.request_timeout_s of 2 s meant for a Pi on a LAN. Answers slower than the timeout count as
# failures and open the endpoint's breaker after chain.breaker_failures in a row (FAULT-PAUSED),
# which is right for a real endpoint that slow; so the guest's config, like an owner's for a slow
# link, gives each request longer. The shipped default is unchanged.
EMULATION_REQUEST_TIMEOUT_S = 20.0
REQUIRED_JOURNAL_FIELDS = ("CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER", "THREAD_NAME")


class GuestCheckFailed(ImageBuildError):
    """The booted guest did not do what the image promises; the message names the check."""


def guest_config(
    devnet: Mapping, *, host: str = GUEST_RPC_HOST, port: int = GUEST_RPC_PORT
) -> dict:
    """The devnet's config, as the owner would write it onto the boot partition for this guest.

    Every RPC entry is pointed at ``host:port`` (HTTP and WebSocket, scheme and path kept), the
    key at the path firstboot imports it to, storage and metrics back to the device's defaults
    (the devnet writes host paths and a random port), the hardware on (the guest's gpio-sim chip),
    and a request timeout for an emulated guest (``EMULATION_REQUEST_TIMEOUT_S``, never lowered).
    """
    cfg = json.loads(json.dumps(devnet))  # a deep copy of plain TOML values
    chain = cfg.setdefault("chain", {})
    rpc = chain.get("rpc")
    if not rpc:
        raise GuestCheckFailed("the devnet config has no chain.rpc")
    entries = [rpc] if isinstance(rpc, str) else list(rpc)
    chain["rpc"] = ["|".join(_retarget(url, host, port) for url in e.split("|")) for e in entries]
    chain["request_timeout_s"] = max(
        float(chain.get("request_timeout_s", 0)), EMULATION_REQUEST_TIMEOUT_S
    )
    cfg.setdefault("account", {})["key_file"] = GUEST_KEY_FILE
    cfg.pop("storage", None)
    cfg.pop("metrics", None)
    cfg["hardware"] = {"enabled": True}
    strategy = cfg.setdefault("strategy", {})
    if strategy.get("mode", "paper") != "paper":
        raise GuestCheckFailed(f"the guest trades on paper only, not {strategy['mode']!r}")
    strategy["mode"] = "paper"
    return cfg


def _retarget(url: str, host: str, port: int) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise GuestCheckFailed(f"chain.rpc entry {url!r} has no scheme")
    _, slash, path = rest.partition("/")
    return f"{scheme}://{host}:{port}{slash}{path}"


def dump_toml(doc: Mapping) -> str:
    """TOML for the plain documents ``guest_config`` returns (tables, arrays of tables, scalars
    and arrays of scalars); ``tomllib.loads(dump_toml(d)) == d``."""
    lines: list[str] = []
    _table(lines, (), doc)
    return "\n".join(lines).lstrip("\n") + "\n"


def _table(lines: list[str], path: tuple[str, ...], table: Mapping) -> None:
    scalars = {k: v for k, v in table.items() if not _is_table(v) and not _is_table_array(v)}
    if path and (scalars or not any(_is_table(v) for v in table.values())):
        lines += ["", f"[{'.'.join(_key(p) for p in path)}]"]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]
    for k, v in table.items():
        if _is_table(v):
            _table(lines, (*path, k), v)
        elif _is_table_array(v):
            for item in v:
                lines += ["", f"[[{'.'.join(_key(p) for p in (*path, k))}]]"]
                lines += [f"{_key(ik)} = {_value(iv)}" for ik, iv in item.items()]


def _is_table(v: object) -> bool:
    return isinstance(v, Mapping)


def _is_table_array(v: object) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(i, Mapping) for i in v)


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_value(i) for i in v) + "]"
    raise GuestCheckFailed(f"cannot write {v!r} as a TOML value")


def parse_result(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines (the guest harness's result file); later lines win, others ignored."""
    result: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and key.replace("_", "").isalnum():
            result[key] = value
    return result


def verdict(result: Mapping[str, str]) -> list[str]:
    """The figures as lines to print; raises :class:`GuestCheckFailed` at the first failed check.

    Checks, in the order the guest does them: firstboot imported the config and the key (gone
    from the FAT partition), ``arb-appliance.service`` is active (systemd starts a Type=notify
    unit only at READY=1), ``status --json`` run as arb-ui answers NORMAL, the screen is drawn on
    tty1, the journal has systemd-python's fields, the appliance stayed NORMAL (endpoint healthy,
    breakers closed: never FAULT-PAUSED) for the watch after READY, and the kill switch line
    pulled low on the gpio-sim chip latched EMERGENCY with the red line high.
    """

    def need(key: str, expected: str | None = None) -> str:
        if key not in result:
            raise GuestCheckFailed(f"the guest reported no {key} (harness did not get that far)")
        value = result[key]
        if expected is not None and value != expected:
            raise GuestCheckFailed(f"{key} is {value!r}, expected {expected!r}")
        return value

    mem = need("mem_mib")
    need("firstboot", "active")
    need("config_imported", "yes")
    need("key_mode", "600 arb")
    need("boot_key_gone", "yes")
    need("imported_key", "matches")  # the host's checks, after power-off
    need("boot_key_bytes", "absent")
    need("supervisor", "active")
    ready_s = float(need("ready_s"))
    need("status_json", "ok")  # arb-appliance status --json, as the screen's user arb-ui
    need("mode_ready", "NORMAL")
    need("ui", "active")
    if not result.get("screen_words"):
        raise GuestCheckFailed("nothing recognisable was drawn on tty1 (screen_words empty)")
    fields = set(need("journal_fields").split(","))
    missing = [f for f in REQUIRED_JOURNAL_FIELDS if f not in fields]
    if missing:
        raise GuestCheckFailed(f"journal fields missing from arb-appliance's log: {missing}")
    if int(need("watch_samples")) < 3:
        raise GuestCheckFailed(f"only {result['watch_samples']} status samples after READY")
    need("fault_seen", "no")
    need("gpio_chip")
    need("red_before", "0")
    need("mode_after_press", "EMERGENCY")
    need("red_after", "1")
    need("latch", "yes")
    need("screen_after_press", "LATCHED")  # the kill switch's banner on tty1
    need("latch_while_held", "yes")  # a press held down past the re-arm hold never re-arms
    need("mode_while_held", "EMERGENCY")
    lines = [
        f"{mem} MiB: boot -> READY {ready_s:.1f} s after the kernel started "
        f"(userspace at {float(result.get('userspace_s', 'nan')):.1f} s), "
        f"mode {result.get('mode_ready', '?')}",
        f"{mem} MiB: RSS supervisor {result.get('rss_supervisor_kib', '?')} KiB, "
        f"screen {result.get('rss_ui_kib', '?')} KiB; MemAvailable at READY "
        f"{result.get('mem_available_kib', '?')} KiB",
        f"{mem} MiB: firstboot imported config and key (key 0600 arb, gone from the FAT partition)",
        f"{mem} MiB: screen on tty1: {result['screen_words']}",
        f"{mem} MiB: journal fields: {','.join(sorted(fields))}",
        f"{mem} MiB: stayed NORMAL for {result.get('watch_s', '?')} s after READY "
        f"({result['watch_samples']} samples of status --json as arb-ui: "
        f"{result.get('watch_modes', '?')}); trades {result.get('trades', '?')}",
        f"{mem} MiB: gpio-sim {result['gpio_chip']}: kill switch pulled low -> EMERGENCY in "
        f"{result.get('press_to_emergency_s', '?')} s, red line 0 -> 1, latch written, "
        f"screen shows LATCHED; still latched with the switch held {result.get('held_s', '?')} s",
    ]
    return lines


def main(argv: Sequence[str]) -> int:
    if len(argv) == 2 and argv[0] == "config":
        cfg = guest_config(tomllib.loads(Path(argv[1]).read_text()))
        sys.stdout.write(dump_toml(cfg))
        return 0
    if len(argv) == 2 and argv[0] == "verdict":
        try:
            lines = verdict(parse_result(Path(argv[1]).read_text(errors="replace")))
        except GuestCheckFailed as exc:
            print(f"image-check: FAILED: {exc}", file=sys.stderr)
            return 1
        for line in lines:
            print(f"image-check: {line}", file=sys.stderr)
        return 0
    print(
        "usage: python -m imgbuild.guestcheck config DEVNET.toml | verdict RESULT.txt",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
