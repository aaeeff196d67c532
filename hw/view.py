"""What the LEDs must show, folded from the events the supervisor forwards to :mod:`hw`.

Accepted messages: :class:`ModeChanged`, :class:`StartupCompleted`, :class:`FaultChanged`,
:class:`RpcHealthChanged` (fault ``rpc`` when no endpoint is healthy), :class:`RiskUpdated`
(fault ``breaker:<name>`` per open breaker; an RPC endpoint's open breaker is not a fault while
another endpoint is healthy), and the kill switch's own :class:`HoldFeedback`. Anything else is
ignored, so the supervisor may forward a broad stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appliance.events import (
    FaultChanged,
    LedsChanged,
    ModeChanged,
    RiskUpdated,
    RpcHealthChanged,
    StartupCompleted,
)
from appliance.modes import Mode
from hw.kill_switch import HoldFeedback
from hw.leds import led_pattern

__all__ = ["HwView"]


@dataclass
class HwView:
    mode: Mode = Mode.PAUSED
    starting: bool = True
    latched: bool = False
    rearm_hold: bool = False
    faults: dict[str, str] = field(default_factory=dict)

    @property
    def fault(self) -> bool:
        return bool(self.faults)

    def apply(self, msg: object) -> None:
        if isinstance(msg, ModeChanged):
            self.mode = msg.new
        elif isinstance(msg, StartupCompleted):
            self.starting = False
        elif isinstance(msg, FaultChanged):
            if msg.active:
                self.faults[msg.name] = msg.detail
            else:
                self.faults.pop(msg.name, None)
        elif isinstance(msg, RpcHealthChanged):
            if msg.endpoints and not any(e.healthy for e in msg.endpoints):
                self.faults["rpc"] = "no healthy RPC endpoint"
            else:
                self.faults.pop("rpc", None)
        elif isinstance(msg, RiskUpdated):
            for name in [n for n in self.faults if n.startswith("breaker:")]:
                del self.faults[name]
            for name, state in msg.breakers.items():
                if state == "open":
                    self.faults[f"breaker:{name}"] = "open"
        elif isinstance(msg, HoldFeedback):
            self.rearm_hold = msg.active

    def pattern(self) -> LedsChanged:
        mode = Mode.EMERGENCY if self.latched else self.mode
        return led_pattern(
            mode, starting=self.starting, fault=self.fault, rearm_hold=self.rearm_hold
        )
