"""The host side of image-check's boot step, without emulation: the guest's config, the verdict
on the guest's result file, and the relay that joins the guest's connections to the devnet.

The guest config is made from the config ``arb-appliance devnet`` writes (its own writer) and
must pass the appliance's own loader; the relay runs as the real subprocess qemu would spawn.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest
from imagekit import REPO

sys.path.insert(0, str(REPO / "image"))

from eth_utils import to_checksum_address
from imgbuild.guestcheck import (
    EMULATION_REQUEST_TIMEOUT_S,
    GUEST_KEY_FILE,
    GuestCheckFailed,
    dump_toml,
    guest_config,
    parse_result,
    verdict,
)

from appliance.config import load_config
from appliance.devnet._config_file import write_config
from appliance.devnet._deploy import Deployment, DexInfo
from appliance.events import TokenInfo

pytestmark = [pytest.mark.image]

RELAY = REPO / "image" / "guest" / "relay"


def addr(hex40: str) -> str:
    return to_checksum_address("0x" + hex40)


def devnet_config(tmp_path: Path) -> Path:
    """The devnet's own config writer, on a deployment description (no chain needed)."""
    symbols = ("WETH", "USDC", "DAI")
    tokens = {
        s: TokenInfo(address=addr(f"{i + 1:040x}"), symbol=s, decimals=18)
        for i, s in enumerate(symbols)
    }
    deployment = Deployment(
        weth=tokens["WETH"].address,
        tokens=tokens,
        dexes=(
            DexInfo("uni", addr("a" * 40), addr("b" * 40)),
            DexInfo("sushi", addr("c" * 40), addr("d" * 40)),
        ),
        pools=(),
        initial_reserves={},
        core_symbols=symbols,
        block=1,
    )
    return write_config(
        tmp_path,
        rpc="http://127.0.0.1:39123",
        chain_id=31337,
        deployment=deployment,
        key_file=tmp_path / "devnet.key",
        block_time=2.0,
        seed=1,
    )


def test_guest_config_points_everything_at_the_guest(tmp_path):
    devnet = tomllib.loads(devnet_config(tmp_path).read_text())
    cfg = guest_config(devnet)
    assert cfg["chain"]["rpc"] == ["http://10.0.2.100:8545|ws://10.0.2.100:8545"]
    assert cfg["account"]["key_file"] == GUEST_KEY_FILE
    assert "storage" not in cfg and "metrics" not in cfg  # the device's defaults, not host paths
    assert cfg["hardware"] == {"enabled": True}
    assert cfg["strategy"]["mode"] == "paper"
    assert cfg["chain"]["request_timeout_s"] == EMULATION_REQUEST_TIMEOUT_S  # not the 2 s default
    assert cfg["dex"] == devnet["dex"] and cfg["tokens"] == devnet["tokens"]
    assert "39123" not in dump_toml(cfg) and str(tmp_path) not in dump_toml(cfg)


def test_guest_config_passes_the_appliances_own_loader(tmp_path):
    text = dump_toml(guest_config(tomllib.loads(devnet_config(tmp_path).read_text())))
    path = tmp_path / "guest.toml"
    path.write_text(text)
    cfg = load_config(path, check_key=False)  # the key exists only in the guest
    assert cfg.chain.rpc == ("http://10.0.2.100:8545|ws://10.0.2.100:8545",)
    assert str(cfg.account.key_file) == GUEST_KEY_FILE
    assert cfg.storage.data_dir == Path("/var/lib/arb-appliance")
    assert cfg.hardware.enabled and cfg.hardware.kill_switch_pin == 17
    assert [d.name for d in cfg.dex] == ["uni", "sushi"]
    assert cfg.chain.request_timeout_s == EMULATION_REQUEST_TIMEOUT_S


def test_guest_config_keeps_paths_and_refuses_live_trading():
    cfg = guest_config({"chain": {"rpc": "https://127.0.0.1:1/v1/x|wss://127.0.0.1:1/ws"}})
    assert cfg["chain"]["rpc"] == ["https://10.0.2.100:8545/v1/x|wss://10.0.2.100:8545/ws"]
    slow = guest_config({"chain": {"rpc": "http://127.0.0.1:1", "request_timeout_s": 45.0}})
    assert slow["chain"]["request_timeout_s"] == 45.0  # an owner's longer timeout is kept
    with pytest.raises(GuestCheckFailed, match="paper only, not 'live'"):
        guest_config({"chain": {"rpc": ["http://127.0.0.1:1"]}, "strategy": {"mode": "live"}})
    with pytest.raises(GuestCheckFailed, match=r"no chain\.rpc"):
        guest_config({"chain": {}})
    with pytest.raises(GuestCheckFailed, match="no scheme"):
        guest_config({"chain": {"rpc": ["127.0.0.1:8545"]}})


def test_dump_toml_round_trips_tables_arrays_of_tables_and_scalars():
    doc = {
        "top": 1,
        "chain": {"rpc": ["a|b"], "block_time_s": 0.5, "hedge": False},
        "alerts": {"webhooks": [{"kind": "telegram", "url": 'x"y'}], "rate_per_minute": 3},
        "dex": [{"name": "uni", "fee_bps": 30}, {"name": "sushi", "fee_bps": 25}],
        "a": {"b": {"c": "deep"}},
    }
    assert tomllib.loads(dump_toml(doc)) == doc


GOOD = {
    "mem_mib": "1024",
    "firstboot": "active",
    "config_imported": "yes",
    "key_mode": "600 arb",
    "boot_key_gone": "yes",
    "imported_key": "matches",
    "boot_key_bytes": "absent",
    "supervisor": "active",
    "userspace_s": "7.5",
    "ready_s": "88.2",
    "status_json": "ok",
    "mode_ready": "NORMAL",
    "ui": "active",
    "screen_words": "arb-appliance PAPER head",
    "rss_supervisor_kib": "120000",
    "rss_ui_kib": "60000",
    "journal_fields": "CODE_FILE,CODE_FUNC,CODE_LINE,LOGGER,MESSAGE,PRIORITY,THREAD_NAME",
    "watch_s": "240",
    "watch_samples": "9",
    "watch_modes": "NORMALx9",
    "fault_seen": "no",
    "trades": "paper=12",
    "gpio_chip": "gpiochip0",
    "red_before": "0",
    "press_to_emergency_s": "0.41",
    "red_after": "1",
    "latch": "yes",
    "mode_after_press": "EMERGENCY",
    "screen_after_press": "LATCHED",
    "held_s": "20",
    "latch_while_held": "yes",
    "mode_while_held": "EMERGENCY",
}


def result_text(**changes) -> str:
    doc = GOOD | changes
    return "".join(f"{k}={v}\n" for k, v in doc.items() if v is not None)


def test_verdict_on_a_complete_result_prints_the_figures():
    lines = verdict(parse_result("noise without equals\n" + result_text()))
    text = "\n".join(lines)
    assert "READY 88.2 s" in text and "RSS supervisor 120000 KiB, screen 60000 KiB" in text
    assert "EMERGENCY in 0.41 s" in text and "CODE_FILE" in text
    assert "still latched with the switch held 20 s" in text
    assert "stayed NORMAL for 240 s after READY (9 samples" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"supervisor": "failed"}, "supervisor is 'failed', expected 'active'"),
        ({"boot_key_bytes": "found"}, "boot_key_bytes is 'found'"),
        ({"imported_key": "differs"}, "imported_key is 'differs'"),
        ({"key_mode": "644 root"}, "key_mode is '644 root'"),
        ({"red_after": "0"}, "red_after is '0', expected '1'"),
        ({"mode_after_press": "NORMAL"}, "mode_after_press is 'NORMAL'"),
        ({"screen_words": ""}, "nothing recognisable was drawn on tty1"),
        ({"journal_fields": "MESSAGE,PRIORITY"}, "journal fields missing .*CODE_FILE"),
        ({"latch": None}, "reported no latch"),
        ({"screen_after_press": "not shown"}, "screen_after_press is 'not shown'"),
        ({"latch_while_held": "no"}, "latch_while_held is 'no'"),  # a held press re-armed
        ({"mode_while_held": "NORMAL"}, "mode_while_held is 'NORMAL'"),
        (
            {"status_json": "exit 2, no JSON on stdout: key file owned by uid 996"},
            "status_json is 'exit 2",
        ),
        ({"mode_ready": "?"}, "mode_ready is '\\?', expected 'NORMAL'"),
        (
            {"fault_seen": "yes (sample 4, head 301: mode PAUSED; rpc 10.0.2.100:8545 open)"},
            r"fault_seen is 'yes \(sample 4",
        ),
        ({"watch_samples": "1"}, "only 1 status samples after READY"),
        ({"watch_samples": None}, "reported no watch_samples"),
    ],
)
def test_verdict_names_the_first_failed_check(changes, message):
    with pytest.raises(GuestCheckFailed, match=message):
        verdict(parse_result(result_text(**changes)))


def test_later_lines_win_in_the_result_file():
    assert parse_result("a=1\nb=x=y\na=2\n") == {"a": "2", "b": "x=y"}


def test_relay_joins_a_guest_connection_to_the_loopback_devnet():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def echo_upper():
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data.upper())

    threading.Thread(target=echo_upper, daemon=True).start()
    guest, qemu_end = socket.socketpair()
    proc = subprocess.Popen(
        [sys.executable, str(RELAY), "127.0.0.1", str(port)], stdin=qemu_end, stdout=qemu_end
    )
    qemu_end.close()
    try:
        guest.sendall(b'{"jsonrpc":"2.0"}')
        guest.shutdown(socket.SHUT_WR)
        got = b""
        while data := guest.recv(4096):
            got += data
        assert got == b'{"JSONRPC":"2.0"}'
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        server.close()


def test_relay_refuses_anything_but_loopback():
    _guest, qemu_end = socket.socketpair()
    proc = subprocess.run(
        [sys.executable, str(RELAY), "10.0.2.2", "80"], stdin=qemu_end, stdout=qemu_end, timeout=60
    )
    assert proc.returncode == 2
