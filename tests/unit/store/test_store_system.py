"""The board-health sampler: real /proc values, missing sensors are None, not errors."""

from __future__ import annotations

import math

import trio

from appliance.store.system import CpuMeter, read_rss_bytes, read_temp_c, run_system_sampler
from appliance.store.writer import SystemSampled


def test_readings_from_proc(tmp_path):
    assert read_rss_bytes() > 1_000_000  # this Python process
    assert read_temp_c(tmp_path / "no-such-sensor") is None
    sensor = tmp_path / "temp"
    sensor.write_text("48123\n")
    assert read_temp_c(sensor) == 48.123
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 100 800 0 0 0 0 0 0\n")
    meter = CpuMeter(stat)
    stat.write_text("cpu  150 0 150 900 0 0 0 0 0 0\n")
    assert meter.sample() == 50.0
    assert math.isnan(meter.sample())  # no time passed
    assert math.isnan(CpuMeter(tmp_path / "missing").sample())


async def test_sampler_sends_records(autojump_clock):
    send, recv = trio.open_memory_channel(10)
    async with trio.open_nursery() as nursery:
        await nursery.start(lambda **kw: run_system_sampler(send, interval_s=5.0, **kw))
        first = await recv.receive()
        second = await recv.receive()
        nursery.cancel_scope.cancel()
    assert isinstance(first, SystemSampled) and first.rss_bytes > 0
    assert second.at >= first.at
