"""Which chain input is live (streaming / polling) travels RpcHealthChanged -> the store's
recorder -> the state file -> ``status`` and the screen's Chain panel."""

from __future__ import annotations

import dataclasses
import time

from rich.console import Console

from appliance.commands.status import render
from appliance.events import EndpointHealth, RpcHealthChanged
from appliance.store.recorder import Recorder
from appliance.store.statefile import LiveState, StateSnapshot
from ui.status import Endpoint, Status
from ui.widgets.chain import ChainPanel


def _through_state_file(event: RpcHealthChanged) -> StateSnapshot:
    recorder = Recorder.__new__(Recorder)  # only the live-state half is exercised here
    recorder.live = LiveState()
    recorder._on_RpcHealthChanged(event, time.time())
    return StateSnapshot.decode(1, recorder.live.pack(0, time.time()), None)


def test_stream_state_survives_the_state_file():
    event = RpcHealthChanged(
        (
            EndpointHealth("127.0.0.1:8545", True, 1.0, stream="live"),
            EndpointHealth("backup:443", True, 9.0, stream="down"),
            EndpointHealth("plain:8545", True, 2.0),
        ),
        path="streaming",
    )
    snap = _through_state_file(event)
    assert [r.stream for r in snap.rpc] == ["live", "down", ""]


def test_status_and_screen_name_the_live_path():
    doc = {
        "mode": "NORMAL",
        "live": False,
        "supervisor": "running",
        "pid": None,
        "kill_switch": False,
        "leds": None,
        "head_block": 5,
        "head_age_s": 1.0,
        "chain_input": "polling",
        "rpc": [
            {"host": "a:1", "healthy": True, "latency_ms": 1.0, "lagging": False, "stream": "down"}
        ],
        "pools": 1,
        "opportunities": {"detected": 0, "approved": 0, "rejected": 0},
        "trades": {},
        "pnl_today": 0,
        "breakers": {},
        "last_alert": None,
        "problems": [],
    }
    text = render(doc)
    assert "chain input    polling" in text and "stream down" in text

    fields = {f.name for f in dataclasses.fields(Status)}
    assert "endpoints" in fields
    panel = ChainPanel()
    for stream, word in (("live", "input streaming"), ("down", "input polling")):
        status = Status.__new__(Status)
        for f in dataclasses.fields(Status):
            if f.default is not dataclasses.MISSING:
                object.__setattr__(status, f.name, f.default)
            elif f.default_factory is not dataclasses.MISSING:
                object.__setattr__(status, f.name, f.default_factory())
        object.__setattr__(status, "endpoints", (Endpoint("a:1", True, 1.0, stream=stream),))
        console = Console(width=60, record=True)
        console.print(panel.render_status(status, stale=False))
        assert word in console.export_text()
