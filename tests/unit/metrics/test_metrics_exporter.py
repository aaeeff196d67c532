"""Metrics fed with events and scraped over real HTTP from the Trio exporter."""

from __future__ import annotations

import httpx
import pytest
import trio

from appliance.config.sections import MetricsConfig
from appliance.events import (
    AlertRaised,
    BlockSeen,
    Candidate,
    CandidatesFound,
    EndpointHealth,
    KillSwitchPressed,
    Leg,
    ModeChanged,
    OrderApproved,
    OrderRejected,
    Priority,
    RiskUpdated,
    RpcHealthChanged,
    TradeStatus,
    TradeUpdated,
)
from appliance.metrics import Metrics, MetricsError, run_metrics
from appliance.modes import Mode
from appliance.safety import SafetyLatch

POOL = "0x" + "11" * 20
TOKEN = "0x" + "22" * 20


def candidate(block: int) -> Candidate:
    legs = (Leg(POOL, TOKEN, TOKEN, 30),)
    return Candidate(
        block=block,
        legs=legs,
        base_token=TOKEN,
        amount_in=10**18,
        amount_out=10**18 + 5,
        gas_estimate=1,
        gas_cost=1,
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def value(m: Metrics, metric: str, /, **labels) -> float | None:
    return m.registry.get_sample_value(metric, labels)


def test_events_drive_the_metrics(tmp_path):
    clock = FakeClock()
    latch = SafetyLatch(tmp_path)
    thermal = tmp_path / "thermal" / "thermal_zone0"
    thermal.mkdir(parents=True)
    (thermal / "temp").write_text("48312\n")
    m = Metrics(latch=latch, data_dir=tmp_path, thermal_root=tmp_path / "thermal", clock=clock)

    m.observe(BlockSeen(7, "0xaa", "0x99", 1, None))
    m.observe(CandidatesFound(block=7, candidates=(candidate(7), candidate(7)), seen_at=99.95))
    clock.now = 100.0
    m.observe(OrderApproved(candidate(7), Mode.NORMAL, "o1"))
    m.observe(
        OrderRejected(candidate(7), "min_profit")
    )  # second decision of the block: no 2nd latency
    m.observe(CandidatesFound(block=8, candidates=(), seen_at=99.99))
    m.observe(TradeUpdated("o1", TradeStatus.SENT, Mode.NORMAL))
    m.observe(
        TradeUpdated(
            "o1", TradeStatus.MINED, Mode.NORMAL, realized_profit=5000, gas_used=120_000, gas_cost=7
        )
    )
    m.observe(
        TradeUpdated(
            "o2", TradeStatus.MINED, Mode.NORMAL, realized_profit=-300, gas_used=100_000, gas_cost=3
        )
    )
    m.observe(TradeUpdated("o3", TradeStatus.REVERTED, Mode.NORMAL, gas_used=50_000, gas_cost=2))
    m.observe(ModeChanged(0.0, Mode.NORMAL, Mode.REDUCED, "vol", "risk"))
    m.observe(
        RiskUpdated(
            breakers={"trade": "open", "loss": "closed"},
            pnl_today=-9,
            pnl_session=4700,
            equity_peak=0,
        )
    )
    m.observe(
        RpcHealthChanged(
            (
                EndpointHealth("a:8545", True, 12.5),
                EndpointHealth("b:8545", False, 0.0, breaker="open"),
            )
        )
    )
    m.observe(AlertRaised(0.0, Priority.CRITICAL, "kill_switch", "pressed"))
    m.journal_written(3)
    m.observe("not an event")

    assert value(m, "arb_blocks_total") == 1 and value(m, "arb_head_block") == 7
    assert value(m, "arb_opportunities_detected_total") == 2
    assert value(m, "arb_decisions_total", reason="approved") == 1
    assert value(m, "arb_decisions_total", reason="min_profit") == 1
    assert value(m, "arb_block_to_decision_seconds_count") == 2
    assert value(m, "arb_block_to_decision_seconds_sum") == pytest.approx(0.06)
    assert value(m, "arb_trades_total", status="mined") == 2
    assert value(m, "arb_trades_total", status="sent") == 1
    assert value(m, "arb_profit_wei_total") == 5000 and value(m, "arb_loss_wei_total") == 300
    assert value(m, "arb_gas_used_total") == 270_000 and value(m, "arb_gas_cost_wei_total") == 12
    assert value(m, "arb_mode") == 1
    assert (
        value(m, "arb_breaker_open", name="trade") == 1
        and value(m, "arb_breaker_open", name="loss") == 0
    )
    assert value(m, "arb_breaker_open", name="rpc:b:8545") == 1
    assert value(m, "arb_rpc_latency_seconds", endpoint="a:8545") == pytest.approx(0.0125)
    assert value(m, "arb_rpc_healthy", endpoint="b:8545") == 0
    assert value(m, "arb_pnl_today_wei") == -9
    assert value(m, "arb_journal_writes_total") == 3
    assert value(m, "arb_alerts_raised_total", priority="critical") == 1
    assert value(m, "arb_board_temperature_celsius") == pytest.approx(48.312)
    assert value(m, "arb_disk_free_bytes") > 0
    assert value(m, "process_resident_memory_bytes") > 0
    # The latch is read at scrape time.
    assert value(m, "arb_kill_switch_latched") == 0
    latch.trip("test", "kill_switch")
    m.observe(KillSwitchPressed(0.0, "gpio", True))
    assert value(m, "arb_kill_switch_latched") == 1
    assert value(m, "arb_kill_switch_presses_total", source="gpio") == 1


def test_no_thermal_zone_no_temperature_and_registries_are_independent(tmp_path):
    a, b = (
        Metrics(thermal_root=tmp_path, process=False),
        Metrics(thermal_root=tmp_path, process=False),
    )
    a.observe(BlockSeen(1, "0x1", "0x0", 1, None))
    assert value(a, "arb_blocks_total") == 1 and value(b, "arb_blocks_total") == 0
    assert value(a, "arb_board_temperature_celsius") is None
    assert b"arb_board_temperature_celsius" not in a.render()
    counts = {"sent": 3, "dropped_full": 1}
    a.watch_alerts(lambda: counts)
    assert value(a, "arb_alerts_total", outcome="sent") == 3


async def test_scrape_on_a_free_port(tmp_path):
    cfg = MetricsConfig(port=0)  # any free port (built directly: the TOML loader asks for >= 1)
    m = Metrics(data_dir=tmp_path)
    m.observe(BlockSeen(42, "0x1", "0x0", 1, None))
    m.observe(ModeChanged(0.0, Mode.PAUSED, Mode.EMERGENCY, "pressed", "kill_switch"))
    async with trio.open_nursery() as nursery:
        server = await nursery.start(run_metrics, cfg, m)
        assert server.host == "127.0.0.1" and server.port > 0
        async with httpx.AsyncClient() as client:
            r = await client.get(server.url)
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/plain; version=")
            assert "arb_head_block 42.0" in r.text
            assert "arb_mode 3.0" in r.text
            assert "process_resident_memory_bytes" in r.text
            assert (await client.get(server.url.replace("/metrics", "/nope"))).status_code == 404
            assert (await client.post(server.url)).status_code == 405
        # a client that connects and says nothing does not hurt later scrapes
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        await stream.send_all(b"GARBAGE\r\n\r\n")
        assert b"400" in await stream.receive_some(100)
        await stream.aclose()
        nursery.cancel_scope.cancel()


async def test_port_in_use_is_a_clear_error(tmp_path):
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    cfg = MetricsConfig(port=port)
    with pytest.raises(MetricsError, match=f"127.0.0.1:{port}"):
        await run_metrics(cfg, Metrics(process=False))
    await listener.aclose()


async def test_disabled_serves_nothing():
    async with trio.open_nursery() as nursery:
        server = await nursery.start(
            run_metrics, MetricsConfig(enabled=False), Metrics(process=False)
        )
        assert server.url is None
        nursery.cancel_scope.cancel()
