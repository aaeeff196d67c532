"""LED patterns for every mode and fault, and the Trio blink driver on MockFactory pins."""

from __future__ import annotations

import math

import pytest
import trio
import trio.testing
from gpiozero.pins.mock import MockFactory

from appliance.events import (
    EndpointHealth,
    FaultChanged,
    LedsChanged,
    ModeChanged,
    RiskUpdated,
    RpcHealthChanged,
    StartupCompleted,
)
from appliance.modes import Mode
from hw import HoldFeedback, HwView, LedBank, PinConflict, led_is_lit, led_pattern, run_led_driver
from hw.leds import next_toggle

EXPECTED = {
    # (mode, starting, fault): (green, yellow, red)
    (Mode.NORMAL, False, False): ("on", "off", "off"),
    (Mode.NORMAL, False, True): ("on", "off", "slow"),
    (Mode.REDUCED, False, False): ("slow", "on", "off"),
    (Mode.REDUCED, False, True): ("slow", "on", "slow"),
    (Mode.PAUSED, False, False): ("off", "on", "off"),
    (Mode.PAUSED, False, True): ("off", "on", "slow"),
    (Mode.EMERGENCY, False, False): ("off", "off", "on"),
    (Mode.EMERGENCY, False, True): ("off", "off", "on"),
}
for _mode in Mode:
    for _fault in (False, True):
        EXPECTED[(_mode, True, _fault)] = (
            EXPECTED[(_mode, False, _fault)]
            if _mode is Mode.EMERGENCY
            else ("off", "slow", "slow" if _fault else "off")
        )


@pytest.mark.parametrize(("mode", "starting", "fault"), sorted(EXPECTED, key=str))
def test_led_pattern_every_mode_and_fault(mode, starting, fault):
    assert led_pattern(mode, starting=starting, fault=fault) == LedsChanged(
        *EXPECTED[(mode, starting, fault)]
    )


def test_rearm_hold_feedback_only_in_emergency():
    assert led_pattern(Mode.EMERGENCY, rearm_hold=True) == LedsChanged("off", "fast", "on")
    assert led_pattern(Mode.PAUSED, rearm_hold=True) == led_pattern(Mode.PAUSED)


def test_green_means_trading_only():
    for mode in Mode:
        for starting in (False, True):
            for fault in (False, True):
                green = led_pattern(mode, starting=starting, fault=fault).green
                assert (green != "off") == (mode.trades and not starting)


def test_blink_phases():
    assert [led_is_lit("slow", t) for t in (0.0, 0.25, 0.5, 0.75, 1.0)] == [
        True,
        True,
        False,
        False,
        True,
    ]
    assert [led_is_lit("fast", t) for t in (0.05, 0.15, 0.25)] == [True, False, True]
    assert led_is_lit("on", 123.4) and not led_is_lit("off", 123.4)
    assert next_toggle(LedsChanged("on", "off", "off"), 3.0) == math.inf
    assert next_toggle(LedsChanged("slow", "fast", "off"), 0.05) == pytest.approx(0.1)


def test_view_folds_faults():
    view = HwView()
    assert view.pattern() == LedsChanged("off", "slow", "off")  # starting
    view.apply(StartupCompleted(0.0))
    view.apply(ModeChanged(0.0, Mode.PAUSED, Mode.NORMAL, "synced", "health"))
    assert view.pattern() == LedsChanged("on", "off", "off")
    down = EndpointHealth(host="a:8545", healthy=False, latency_ms=0.0, breaker="open")
    up = EndpointHealth(host="b:8545", healthy=True, latency_ms=3.0)
    view.apply(RpcHealthChanged((down, up)))
    assert not view.fault  # one healthy endpoint is enough
    view.apply(RpcHealthChanged((down,)))
    assert view.pattern().red == "slow"
    view.apply(RpcHealthChanged((down, up)))
    assert view.pattern().red == "off"
    view.apply(
        RiskUpdated(
            breakers={"trade": "open", "loss": "closed"}, pnl_today=0, pnl_session=0, equity_peak=0
        )
    )
    assert view.faults == {"breaker:trade": "open"}
    view.apply(
        RiskUpdated(breakers={"trade": "half-open"}, pnl_today=0, pnl_session=0, equity_peak=0)
    )
    assert not view.fault
    view.apply(FaultChanged("crashes:market", True, "5 crashes in 60 s"))
    assert view.pattern() == LedsChanged("on", "off", "slow")
    view.apply(FaultChanged("crashes:market", False))
    assert not view.fault
    view.latched = True
    view.apply(HoldFeedback(True))
    assert view.pattern() == LedsChanged("off", "fast", "on")
    view.apply("something else")  # ignored


def test_led_pins_must_differ():
    with pytest.raises(PinConflict, match="22"):
        LedBank(green=22, yellow=22, red=24, pin_factory=MockFactory())


async def test_driver_blinks_on_the_mock_pins(autojump_clock):
    factory = MockFactory()
    bank = LedBank(green=22, yellow=23, red=24, pin_factory=factory)
    send, recv = trio.open_memory_channel(math.inf)
    changes: list[LedsChanged] = []
    start = trio.current_time()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            lambda: run_led_driver(
                bank, recv, initial=LedsChanged("off", "off", "off"), on_change=changes.append
            )
        )
        await trio.testing.wait_all_tasks_blocked()
        assert bank.lit() == (False, False, False)
        # Every mode and a fault, shown on the real (mock) pins.
        for mode in Mode:
            for fault in (False, True):
                pattern = led_pattern(mode, fault=fault)
                await send.send(pattern)
                await trio.testing.wait_all_tasks_blocked()
                # sample in the middle of a slow-blink "lit" half period and of the "dark" one
                base = math.ceil((trio.current_time() - start) / 1.0) + start
                await trio.sleep_until(base + 0.25)
                first = bank.lit()
                await trio.sleep_until(base + 0.75)
                second = bank.lit()
                for i, p in enumerate((pattern.green, pattern.yellow, pattern.red)):
                    if p == "on":
                        assert first[i] and second[i]
                    elif p == "off":
                        assert not first[i] and not second[i]
                    else:  # slow blink: lit, then dark
                        assert first[i] and not second[i], (mode, fault, p)
        assert changes[-1] == led_pattern(Mode.EMERGENCY, fault=True)
        # The red pin saw on/off transitions while blinking (MockPin records every change).
        assert len(factory.pin(24).states) > 4
        nursery.cancel_scope.cancel()
    bank.close()
    assert factory.pin(22).state == 0 and factory.pin(24).state == 0  # closed dark
