"""The state file: layout round trip, growth, supersession, refusal of foreign files."""

from __future__ import annotations

import math
import os

import pytest

from appliance.modes import Mode
from appliance.store.errors import StateFileError
from appliance.store.statefile import (
    MAX_BREAKERS,
    REASON_LEN,
    SEQ,
    SEQ_OFFSET,
    LiveState,
    RpcSlot,
    StateReader,
    StateWriter,
)


def test_snapshot_round_trips_every_field(tmp_path):
    path = tmp_path / "state.bin"
    live = LiveState(
        mode=Mode.REDUCED,
        kill_switch=True,
        leds={"green": "off", "yellow": "slow", "red": "fast"},
        live=True,
        head_block=19_000_001,
        head_timestamp=1_700_000_000.0,
        opportunities=12,
        approved=3,
        rejected=9,
        trades={"signed": 1, "sent": 2, "mined": 3, "reverted": 4, "dropped": 5, "paper": 6},
        pnl_today=-(10**30) - 7,  # beyond int64 and float precision: must stay exact
        pnl_session=2**100 + 1,
        equity_peak=10**20,
        breakers={"trade": "open", "daily_loss": "half-open", "rpc": "closed"},
        rpc=[
            RpcSlot("10.0.0.1:8545", True, 12.5, head=7),
            RpcSlot(
                "rpc.example.org",
                False,
                0.0,
                lagging=True,
                breaker="open",
                reason="é" * 100,  # cut to its field at a character boundary
            ),
        ],
        var95=0.5,
        regime="high",
        size_multiplier=0.25,
        cpu_pct=42.0,
        rss_bytes=123_456_789,
        temp_c=55.5,
        last_alert="kill switch pressed",
        last_alert_priority=2,
        n_pools=3,
        n_tokens=4,
        n_denied=1,
    )
    with StateWriter(path, capacity=16) as writer:
        writer.prices.extend([1.5, math.nan, 3e-12])
        writer.publish(live, now=1234.5)
        with StateReader(path) as reader:
            snap = reader.snapshot()
    assert snap.mode is Mode.REDUCED and snap.kill_switch and snap.live
    assert snap.leds == {"green": "off", "yellow": "slow", "red": "fast"}
    assert snap.head_block == 19_000_001 and snap.head_timestamp == 1_700_000_000.0
    assert (snap.opportunities, snap.approved, snap.rejected) == (12, 3, 9)
    assert snap.trades == live.trades
    assert snap.pnl_today == -(10**30) - 7 and snap.pnl_session == 2**100 + 1
    assert snap.equity_peak == 10**20
    assert snap.breakers == live.breakers
    assert snap.rpc[0] == RpcSlot("10.0.0.1:8545", True, 12.5, head=7)
    assert (
        snap.rpc[1].host == "rpc.example.org"
        and snap.rpc[1].lagging
        and snap.rpc[1].breaker == "open"
    )
    assert snap.rpc[1].reason == "é" * (REASON_LEN // 2) and snap.rpc[0].reason == ""
    assert snap.risk["regime"] == "high" and snap.risk["size_multiplier"] == 0.25
    assert snap.rss_bytes == 123_456_789 and snap.temp_c == 55.5
    assert snap.last_alert == "kill switch pressed" and snap.last_alert_priority == 2
    assert (snap.n_pools, snap.n_tokens, snap.n_denied) == (3, 4, 1)
    assert snap.updated_at == 1234.5 and snap.pid == os.getpid()
    assert snap.pool_count == 3
    assert snap.prices[0] == 1.5 and math.isnan(snap.prices[1]) and snap.prices[2] == 3e-12
    assert snap.seq % 2 == 0 and snap.seq > 0


def test_defaults_mean_unknown(tmp_path):
    with StateWriter(tmp_path / "state.bin") as writer:
        writer.publish(LiveState())
        snap = StateReader(writer.path).snapshot(prices=False)
    assert snap.mode is None and snap.head_block is None and snap.head_age_s() is None
    assert snap.prices is None and snap.writer_alive()


def test_breakers_beyond_the_slots_are_cut_not_fatal(tmp_path):
    breakers = {f"b{i}": "open" for i in range(MAX_BREAKERS + 3)}
    with StateWriter(tmp_path / "state.bin") as writer:
        writer.publish(LiveState(breakers=breakers))
        snap = StateReader(writer.path).snapshot()
    assert len(snap.breakers) == MAX_BREAKERS


def test_growing_the_price_array_is_followed_by_readers(tmp_path):
    path = tmp_path / "state.bin"
    with StateWriter(path, capacity=16) as writer:
        writer.publish(LiveState())
        reader = StateReader(path)
        assert reader.snapshot().pool_count == 0
        writer.prices.extend(float(i) for i in range(100))
        writer.publish(LiveState())
        assert writer.capacity >= 100
        prices = reader.snapshot().prices
        assert list(prices) == [float(i) for i in range(100)]
        reader.close()


def test_a_new_writer_supersedes_the_old_file(tmp_path):
    path = tmp_path / "state.bin"
    first = StateWriter(path)
    first.publish(LiveState(head_block=1))
    reader = StateReader(path)
    assert reader.snapshot().head_block == 1
    first.close()  # the old writer died
    with StateWriter(path) as second:
        second.publish(LiveState(head_block=2))
        assert reader.snapshot().head_block == 2  # the reader reopened the path
    reader.close()


def test_reader_refuses_missing_foreign_and_truncated_files(tmp_path):
    with pytest.raises(StateFileError, match="no state file"):
        StateReader(tmp_path / "nope.bin")
    foreign = tmp_path / "foreign.bin"
    foreign.write_bytes(b"NOTSTATE" + bytes(4096))
    with pytest.raises(StateFileError, match="not a state file"):
        StateReader(foreign)
    short = tmp_path / "short.bin"
    short.write_bytes(b"ARBSTATE")
    with pytest.raises(StateFileError, match="truncated"):
        StateReader(short)


def test_reader_refuses_another_layout_version(tmp_path):
    path = tmp_path / "state.bin"
    with StateWriter(path) as writer:
        writer.publish(LiveState())
    raw = bytearray(path.read_bytes())
    raw[8:10] = (99).to_bytes(2, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(StateFileError, match="layout version 99"):
        StateReader(path)


def test_a_writer_dead_mid_update_is_reported_not_spun_on(tmp_path):
    path = tmp_path / "state.bin"
    with StateWriter(path) as writer:
        writer.publish(LiveState())
    raw = bytearray(path.read_bytes())
    SEQ.pack_into(raw, SEQ_OFFSET, 7)  # odd: the writer was killed while writing
    path.write_bytes(bytes(raw))
    reader = StateReader(path)
    reader.MAX_TRIES = 200
    with pytest.raises(StateFileError, match="mid-update"):
        reader.snapshot()


def test_a_corrupted_payload_fails_its_checksum(tmp_path):
    path = tmp_path / "state.bin"
    with StateWriter(path) as writer:
        writer.publish(LiveState(head_block=5))
    raw = bytearray(path.read_bytes())
    raw[40] ^= 0xFF  # a byte of the payload, counter still even
    path.write_bytes(bytes(raw))
    reader = StateReader(path)
    seq, _payload, _prices, crc_ok = reader.read_unchecked()
    assert seq is not None and not crc_ok
