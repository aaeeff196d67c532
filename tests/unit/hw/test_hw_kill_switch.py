"""Kill switch under gpiozero's MockFactory, with Trio's autojump clock for the holds."""

from __future__ import annotations

import logging
import math
import threading
from contextlib import asynccontextmanager

import pytest
import trio
import trio.testing
from gpiozero.pins.mock import MockFactory

from appliance.config.sections import HardwareConfig
from appliance.events import (
    AlertRaised,
    FaultChanged,
    KillSwitchPressed,
    KillSwitchRearmed,
    LedsChanged,
    ModeChanged,
    Priority,
    RearmRefused,
    StartupCompleted,
)
from appliance.modes import Mode
from appliance.safety import SafetyLatch, SigningHalted
from hw import HELD_AT_START, Phase, Sigusr1Switch, run_hw
from hw.pins import mock_factory

CFG = HardwareConfig()  # BCM17 switch, 22/23/24 LEDs, hold 5 s, bounce 0.05 s


class Rig:
    """run_hw on a MockFactory, its events collected, health switchable."""

    def __init__(self, tmp_path, factory, bus_busy_s: float = 0.0) -> None:
        self.bus_busy_s = bus_busy_s  # > 0: an unbuffered bus, each event taken that much later
        self.tmp_path = tmp_path
        self.factory = factory
        self.latch = SafetyLatch(tmp_path)
        self.events: list[object] = []
        self.is_healthy = True
        self.mode_send, self.mode_recv = trio.open_memory_channel(math.inf)
        self.handle = None
        self.healthy = lambda: self.is_healthy

    @property
    def switch(self):
        return self.factory.pin(CFG.kill_switch_pin)

    def led(self, name: str) -> bool:
        return bool(self.factory.pin(getattr(CFG, f"{name}_pin")).state)

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]

    async def start(self, nursery, cfg=CFG):
        events_send, events_recv = trio.open_memory_channel(0 if self.bus_busy_s else math.inf)

        async def collect():
            while True:
                await trio.sleep(self.bus_busy_s)  # a busy supervisor: a send waits this long
                self.events.append(await events_recv.receive())

        nursery.start_soon(collect)
        self.handle = await nursery.start(
            lambda task_status: run_hw(
                cfg,
                latch=self.latch,
                pin_factory=self.factory,
                mode_recv=self.mode_recv,
                events_send=events_send,
                healthy=self.healthy,
                task_status=task_status,
            )
        )
        await trio.testing.wait_all_tasks_blocked()

    async def settle(self, seconds: float = 0.0):
        if seconds:
            await trio.sleep(seconds)
        await trio.testing.wait_all_tasks_blocked()

    @asynccontextmanager
    async def running(self, cfg=CFG):
        """run_hw started in a nursery of its own, cancelled when the block ends."""
        async with trio.open_nursery() as nursery:
            await self.start(nursery, cfg)
            yield nursery
            nursery.cancel_scope.cancel()

    async def started_in(self, old: Mode, new: Mode, reason: str, source: str):
        """The supervisor's start-up as run_hw sees it: started, then a mode change."""
        await self.mode_send.send(StartupCompleted(0.0))
        await self.mode_send.send(ModeChanged(0.0, old, new, reason, source))
        await self.settle()

    async def hold(self, seconds: float):
        """Press (switch to GND) and keep it down ``seconds``."""
        self.switch.drive_low()
        await self.settle(seconds)

    async def release(self, seconds: float):
        """Let go and stay released ``seconds``."""
        self.switch.drive_high()
        await self.settle(seconds)

    async def trip(self):
        """The latching press: down and straight up again (no hold), then 1 s released."""
        self.switch.drive_low()
        await self.release(1)


@pytest.fixture(params=[0.0, 0.2], ids=["idle-bus", "busy-bus"])
def bus_busy_s(request):
    """busy-bus: every event waits 0.2 s (> the 0.05 s bounce) for an unbuffered bus, as on the
    arm64 guest under emulation: the switch must behave exactly as with an idle bus."""
    return request.param


@pytest.fixture
def factory():
    f = MockFactory()
    yield f
    f.reset()
    f.close()


async def test_press_trips_latch_synchronously_and_lights_red(tmp_path, factory, autojump_clock):
    rig = Rig(tmp_path, factory)  # idle bus: asserts on prompt events
    async with rig.running():
        await rig.started_in(Mode.PAUSED, Mode.NORMAL, "ok", "startup")
        assert rig.led("green") and not rig.led("red")
        rig.switch.drive_low()
        # No await in between: the halt does not wait for Trio.
        assert rig.latch.tripped
        with pytest.raises(SigningHalted):
            rig.latch.check()
        await rig.settle()
        assert rig.led("red") and not rig.led("green") and not rig.led("yellow")
        assert rig.of(KillSwitchPressed) == [
            KillSwitchPressed(rig.of(KillSwitchPressed)[0].at, "gpio", True)
        ]
        assert rig.of(LedsChanged)[-1] == LedsChanged(green="off", yellow="off", red="on")
        assert rig.latch.info["source"] == "kill_switch"


async def test_latch_survives_restart(tmp_path, factory, autojump_clock, bus_busy_s):
    rig = Rig(tmp_path, factory, bus_busy_s)
    async with rig.running():
        await rig.trip()
    factory.reset()
    # "Restart": a new latch object on the same directory, new devices.
    again = Rig(tmp_path, factory, bus_busy_s)
    assert again.latch.tripped
    async with again.running():
        await again.mode_send.send(
            ModeChanged(0.0, Mode.PAUSED, Mode.NORMAL, "restored", "startup")
        )
        await again.settle()
        assert again.led("red") and not again.led("green")
        with pytest.raises(SigningHalted):
            again.latch.check()


async def test_holding_the_latching_press_never_rearms(
    tmp_path, factory, autojump_clock, bus_busy_s
):
    # busy-bus: the press's event waits 0.2 s (> the 0.05 s bounce) for the bus, as in the arm64
    # guest under emulation; the press's own edge waits queued behind it. The release deadline
    # set at the press must not pass first and take the held switch for released: a continuous
    # press then re-armed itself after 5 s (seen in make image-check)
    rig = Rig(tmp_path, factory, bus_busy_s)
    async with rig.running():
        await rig.hold(60)  # held for a minute, never released
        assert rig.latch.tripped and not rig.of(KillSwitchRearmed)
        assert rig.handle.kill_switch.phase is Phase.LATCHED_WAIT_RELEASE


async def test_long_hold_after_release_rearms_with_led_feedback(
    tmp_path, factory, autojump_clock, bus_busy_s
):
    rig = Rig(tmp_path, factory, bus_busy_s)
    async with rig.running():
        await rig.hold(0.5)
        await rig.release(1)
        await rig.hold(0.05)  # the deliberate hold starts
        assert rig.of(LedsChanged)[-1] == LedsChanged(green="off", yellow="fast", red="on")
        await rig.settle(CFG.rearm_hold_s - 1)
        assert rig.latch.tripped  # not yet
        await rig.settle(1)
        assert not rig.latch.tripped
        rig.latch.check()  # signing allowed again
        (rearmed,) = rig.of(KillSwitchRearmed)
        assert rearmed.held_s >= CFG.rearm_hold_s
        assert not (tmp_path / "emergency.latch").exists()
        # Release with contact bounce: must not re-trip.
        rig.switch.drive_high()
        rig.switch.drive_low()
        await rig.release(1)
        assert not rig.latch.tripped
        assert rig.handle.kill_switch.phase is Phase.ARMED
        # Mode machine says PAUSED after the re-arm: yellow, no red.
        await rig.started_in(Mode.EMERGENCY, Mode.PAUSED, "rearm", "rearm")
        assert rig.led("yellow") and not rig.led("red")
        # A fresh press trips again.
        rig.switch.drive_low()
        assert rig.latch.tripped


async def test_hold_refused_when_unhealthy_then_accepted(
    tmp_path, factory, autojump_clock, bus_busy_s
):
    rig = Rig(tmp_path, factory, bus_busy_s)
    rig.is_healthy = False
    async with rig.running():
        await rig.trip()
        await rig.hold(CFG.rearm_hold_s + 1)
        assert rig.latch.tripped
        assert len(rig.of(RearmRefused)) == 1
        assert rig.of(LedsChanged)[-1].yellow == "off"  # hold feedback ended
        # Healthy now, but the same (still held) hold does not count: release and hold again.
        rig.is_healthy = True
        await rig.settle(10)
        assert rig.latch.tripped
        await rig.release(1)
        await rig.hold(CFG.rearm_hold_s + 0.1)
        assert not rig.latch.tripped


async def test_broken_health_probe_never_rearms(tmp_path, factory, autojump_clock, bus_busy_s):
    rig = Rig(tmp_path, factory, bus_busy_s)

    def boom() -> bool:
        raise RuntimeError("probe broke")

    rig.healthy = boom
    async with rig.running():
        await rig.trip()
        await rig.hold(CFG.rearm_hold_s + 1)
        assert rig.latch.tripped
        (refused,) = rig.of(RearmRefused)
        assert "probe broke" in refused.reason


async def test_press_bounce_is_ignored(tmp_path, factory, autojump_clock, bus_busy_s):
    rig = Rig(tmp_path, factory, bus_busy_s)
    async with rig.running():
        # The latching press bounces (high for a few ms) and is then held for a long time.
        await rig.hold(0.003)
        await rig.release(0.004)
        await rig.hold(30)
        assert rig.latch.tripped, "a bounce of the latching press must not count as a release"
        assert not rig.of(KillSwitchRearmed)
        presses = [e.newly_latched for e in rig.of(KillSwitchPressed)]
        assert presses == [True]  # one press, not three


async def test_bounce_inside_a_hold_keeps_it_and_a_real_release_cancels_it(
    tmp_path, factory, autojump_clock, bus_busy_s
):
    rig = Rig(tmp_path, factory, bus_busy_s)
    async with rig.running():
        await rig.trip()
        # Hold with a 10 ms bounce after 2 s: the hold goes on.
        await rig.hold(2)
        await rig.release(0.01)
        await rig.hold(CFG.rearm_hold_s - 2 + 0.05)
        assert not rig.latch.tripped
        # Trip again, then a hold interrupted by a real 0.5 s release: no re-arm.
        await rig.release(1)
        rig.switch.drive_low()
        assert rig.latch.tripped
        await rig.release(1)
        await rig.hold(3)
        await rig.release(0.5)
        await rig.hold(3)
        assert rig.latch.tripped
        await rig.settle(CFG.rearm_hold_s)  # the second hold, long enough on its own
        assert not rig.latch.tripped


async def test_software_press_takes_the_same_path(tmp_path, factory, autojump_clock):
    gpio = Rig(tmp_path / "gpio", factory)
    soft = Rig(tmp_path / "soft", MockFactory())
    async with gpio.running() as nursery:
        await soft.start(nursery)
        gpio.switch.drive_low()
        gpio.switch.drive_high()
        assert soft.handle.press_from_software("sigusr1") is True
        assert soft.latch.tripped and soft.latch.path.exists()
        await gpio.settle(1)
        for rig, source in ((gpio, "gpio"), (soft, "sigusr1")):
            (pressed,) = rig.of(KillSwitchPressed)
            assert (pressed.source, pressed.newly_latched) == (source, True)
            assert rig.of(LedsChanged)[-1] == LedsChanged(green="off", yellow="off", red="on")
            assert rig.led("red")
            assert rig.handle.kill_switch.phase is Phase.LATCHED_READY
            assert rig.latch.info["source"] == "kill_switch"
        # Re-arm of a software trip is the same long hold on the switch.
        await soft.hold(CFG.rearm_hold_s + 0.1)
        assert not soft.latch.tripped


async def test_disabled_hardware_still_has_the_software_switch(tmp_path, factory, autojump_clock):
    from dataclasses import replace

    rig = Rig(tmp_path, factory)  # idle bus: asserts on prompt events
    async with rig.running(cfg=replace(CFG, enabled=False)):
        assert rig.handle.leds is None and rig.handle.kill_switch.button is None
        assert not factory.pins  # no pin touched
        rig.handle.press_from_software()
        await rig.settle()
        assert rig.latch.tripped
        assert rig.of(LedsChanged)[-1].red == "on"  # still reported for the state file


async def test_sigusr1_switch_before_and_after_the_kill_switch_exists(
    tmp_path, factory, bus_busy_s
):
    """A press before the kill switch exists trips the latch at once and is announced (event,
    alert, journal) when the switch is attached; a later press takes the switch's path. Presses
    come from another real thread, as from the sigwait thread (the signal itself: tests/integration)."""
    rig = Rig(tmp_path, factory, bus_busy_s)
    presses = Sigusr1Switch(rig.latch)  # not started: no signal mask changed in pytest
    early = threading.Thread(target=presses.press)
    early.start()
    early.join()
    assert rig.latch.tripped and rig.latch.path.exists()  # before any Trio code ran
    async with rig.running():
        assert rig.handle.kill_switch.phase is Phase.LATCHED_WAIT_RELEASE
        presses.attach(rig.handle.kill_switch)
        with trio.fail_after(10):  # a hang guard, not a timing assertion
            while not rig.of(KillSwitchPressed):
                await trio.sleep(0.001)
        first = rig.of(KillSwitchPressed)[0]
        assert (first.source, first.newly_latched) == ("sigusr1", True)
        late = threading.Thread(target=presses.press)
        late.start()
        late.join()
        with trio.fail_after(10):
            while len(rig.of(KillSwitchPressed)) < 2:
                await trio.sleep(0.001)
        assert rig.of(KillSwitchPressed)[1].newly_latched is False
        assert presses.presses == 2


async def test_a_switch_held_at_start_latches_before_the_first_event(
    tmp_path, factory, autojump_clock, caplog
):
    factory = mock_factory()  # pins wired as a switch: a pull-up never lifts a closed one
    factory.pin(CFG.kill_switch_pin).drive_low()  # engaged while the service was down
    rig = Rig(tmp_path, factory)  # idle bus: asserts on prompt events
    with caplog.at_level(logging.WARNING, logger="hw.kill_switch"):
        async with rig.running():
            assert rig.latch.tripped and rig.latch.path.exists()
            pressed = rig.of(KillSwitchPressed)
            assert [(p.source, p.newly_latched) for p in pressed] == [(HELD_AT_START, True)]
            assert rig.led("red")
    lines = [r for r in caplog.records if "kill switch pressed" in r.getMessage()]
    assert len(lines) == 1 and HELD_AT_START in lines[0].getMessage()


async def test_a_failed_latch_write_is_critical_and_shown_red(
    tmp_path, factory, autojump_clock, caplog
):
    blocker = tmp_path / "not-a-dir"
    # the data directory cannot exist: every latch write fails (even as root)
    blocker.write_text("")
    rig = Rig(blocker / "data", factory)
    with caplog.at_level(logging.WARNING):
        async with rig.running():
            await rig.hold(0.2)
            assert rig.latch.tripped  # the halt holds regardless
            with pytest.raises(SigningHalted):
                rig.latch.check()
            assert rig.latch.write_error is not None
            assert not rig.latch.path.exists()
            faults = rig.of(FaultChanged)
            assert faults and faults[0].name == "latch" and faults[0].active
            alerts = [a for a in rig.of(AlertRaised) if a.key == "latch:write"]
            assert alerts and alerts[0].priority is Priority.CRITICAL
            assert rig.led("red")
    assert any(
        r.levelno == logging.CRITICAL and "NOT written" in r.getMessage() for r in caplog.records
    )


async def test_a_real_press_right_after_the_rearm_release_still_trips(
    tmp_path, factory, autojump_clock
):
    rig = Rig(tmp_path, factory)  # idle bus: asserts on prompt events
    async with rig.running():
        await rig.trip()
        await rig.hold(CFG.rearm_hold_s + 0.1)
        assert not rig.latch.tripped and rig.handle.kill_switch.phase is Phase.REARMED_WAIT_RELEASE
        # Released, and pressed again 10 ms later (faster than the bounce window) and held:
        await rig.release(0.01)
        rig.switch.drive_low()
        assert not rig.latch.tripped  # inside the bounce window it could still be bounce...
        await rig.settle(CFG.bounce_s + 0.01)
        assert rig.latch.tripped  # ...but it stayed down: a real press
        assert [e.newly_latched for e in rig.of(KillSwitchPressed)] == [True, True]
