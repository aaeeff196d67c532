"""The trading-mode state machine (DESIGN.md section 4).

The effective mode is the most severe of a set of named *holds* (``"breaker:trade"`` → PAUSED,
``"health"`` → PAUSED, ``"breaker:trade-probe"`` → REDUCED, ...), or EMERGENCY when the kill
switch is latched. Each cause adds or releases only its own hold, so one cause clearing can
never lift a pause another cause still needs. Every change of the effective mode returns a
:class:`~appliance.events.ModeChanged` audit event naming the reason and its source.

EMERGENCY is different in kind: it is entered by the :class:`~appliance.safety.SafetyLatch`
(kill switch, ``SIGUSR1``, or a restored EMERGENCY) and left *only* by :meth:`rearm`, the
deliberate re-arm on the box — and even then to PAUSED, trading again only after the chain is
reported synced and healthy (ISO 13850: releasing never resumes by itself).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from appliance.events import ModeChanged
from appliance.modes import Mode
from appliance.risk.errors import ModeTransitionError
from appliance.safety import SafetyLatch

__all__ = ["AWAIT_HEALTH", "HEALTH", "ModeController"]

AWAIT_HEALTH = "await-health"  # hold set at startup/re-arm, released by the first healthy report
HEALTH = "health"  # hold set while the chain is not synced or no endpoint is healthy


class ModeController:
    """Owns the mode. Not thread-safe: one Trio task (the risk task) drives it.

    ``initial`` REDUCED/PAUSED is held under the key ``"initial"`` until released; use
    :meth:`restore` at startup instead.
    """

    def __init__(
        self,
        initial: Mode = Mode.NORMAL,
        *,
        latch: SafetyLatch,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._latch = latch
        self._clock = clock
        self._holds: dict[str, tuple[Mode, str, str]] = {}
        if initial is Mode.EMERGENCY and not latch.tripped:
            latch.trip("initial mode EMERGENCY", "startup")
        # invariant: while _emergency, the latch was tripped when EMERGENCY was entered; the latch
        # being armed again later means the box's deliberate re-arm ran (see sync_latch)
        self._emergency = latch.tripped
        if initial in (Mode.REDUCED, Mode.PAUSED):
            self._holds["initial"] = (initial, "initial mode", "startup")
        self._mode = self._effective()
        self.startup_event: ModeChanged | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def restore(
        cls,
        last_mode: Mode | None,
        clean_shutdown: bool,
        latch: SafetyLatch,
        *,
        clock: Callable[[], float] = time.time,
    ) -> ModeController:
        """The controller of a starting supervisor; its audit row is ``startup_event``.

        EMERGENCY (persisted, or a tripped latch) stays EMERGENCY — and the latch is re-tripped
        if its file went missing, so the signing path halts too. After an unclean stop (or with
        no record) start PAUSED until :meth:`on_health` reports synced and healthy. After a clean
        stop REDUCED/PAUSED are restored the same way (held until healthy); NORMAL stays NORMAL.
        """
        self = cls(Mode.PAUSED, latch=latch, clock=clock)
        self._holds.clear()
        old = last_mode if last_mode is not None else Mode.PAUSED
        if last_mode is Mode.EMERGENCY or latch.tripped:
            if not latch.tripped:
                latch.trip("EMERGENCY restored after restart (latch file was missing)", "startup")
            self._emergency = True
            reason = f"restored EMERGENCY ({latch.info.get('reason', 'latched')})"
        elif not clean_shutdown or last_mode is None:
            self._holds[AWAIT_HEALTH] = (
                Mode.PAUSED,
                "waiting for a synced, healthy chain",
                "startup",
            )
            reason = (
                "unclean stop: paused until the chain is synced and healthy"
                if last_mode is not None
                else "first start: paused until the chain is synced and healthy"
            )
        elif last_mode in (Mode.REDUCED, Mode.PAUSED):
            self._holds[AWAIT_HEALTH] = (
                last_mode,
                f"restored {last_mode.name} after a clean stop",
                "startup",
            )
            reason = f"clean stop: restored {last_mode.name} until the chain is synced and healthy"
        else:
            reason = "clean stop: restored NORMAL"
        self._mode = self._effective()
        self.startup_event = ModeChanged(
            at=self._clock(), old=old, new=self._mode, reason=reason, source="startup"
        )
        return self

    # ------------------------------------------------------------------ queries
    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def holds(self) -> dict[str, tuple[Mode, str, str]]:
        """Active holds: key -> (mode, reason, source)."""
        return dict(self._holds)

    # ------------------------------------------------------------------ transitions
    def hold(self, key: str, mode: Mode, reason: str, source: str) -> ModeChanged | None:
        """Keep the mode at least as severe as ``mode`` (REDUCED or PAUSED) until released."""
        if mode not in (Mode.REDUCED, Mode.PAUSED):
            raise ModeTransitionError(
                f"a hold must be REDUCED or PAUSED, not {mode!r} (key {key!r})"
            )
        self._holds[key] = (mode, reason, source)
        return self._update(reason, source)

    def release(self, key: str, reason: str, source: str) -> ModeChanged | None:
        """Drop hold ``key`` (no-op when absent)."""
        if self._holds.pop(key, None) is None:
            return None
        return self._update(reason, source)

    def emergency(self, reason: str, source: str = "kill_switch") -> ModeChanged | None:
        """Latch EMERGENCY (trips the safety latch first if needed)."""
        self._latch.trip(reason, source)
        self._emergency = True
        return self._update(reason, source)

    def sync_latch(self) -> ModeChanged | None:
        """Follow the latch: tripped -> EMERGENCY; tripped -> armed (the box's re-arm) -> :meth:`rearm`.

        Call before every decision: the kill switch trips the latch from another thread.
        """
        tripped = self._latch.tripped
        if tripped and not self._emergency:
            self._emergency = True
            info = self._latch.info
            return self._update(
                str(info.get("reason", "kill switch")), str(info.get("source", "kill_switch"))
            )
        if not tripped and self._emergency:
            return self.rearm()
        return None

    def rearm(
        self, reason: str = "re-armed on the box", source: str = "rearm"
    ) -> ModeChanged | None:
        """Leave EMERGENCY for PAUSED (then NORMAL once healthy). The only way out of EMERGENCY."""
        if self._latch.tripped:
            self._latch.rearm()
        if not self._emergency:
            return None
        self._emergency = False
        self._holds[AWAIT_HEALTH] = (
            Mode.PAUSED,
            "re-armed: waiting for a synced, healthy chain",
            source,
        )
        return self._update(reason, source)

    def on_health(self, synced: bool, healthy: bool) -> ModeChanged | None:
        """Chain health report: PAUSED while not synced or unhealthy; clears the startup hold."""
        if synced and healthy:
            changed = None
            for key in (HEALTH, AWAIT_HEALTH):
                if key in self._holds:
                    del self._holds[key]
                    changed = True
            return self._update("chain synced and healthy", "health") if changed else None
        why = "chain not synced" if not synced else "no healthy RPC endpoint"
        if self._holds.get(HEALTH, (None, ""))[1] == why:
            return None
        return self.hold(HEALTH, Mode.PAUSED, why, "health")

    # ------------------------------------------------------------------ internals
    def _effective(self) -> Mode:
        if self._emergency:
            return Mode.EMERGENCY
        return max((m for m, _r, _s in self._holds.values()), default=Mode.NORMAL)

    def _update(self, reason: str, source: str) -> ModeChanged | None:
        new = self._effective()
        if new is self._mode:
            return None
        if new < self._mode and self._holds:
            # name what still holds the mode down, when something does
            top = max(self._holds.values(), key=lambda h: h[0])
            if top[0] is new and new is not Mode.NORMAL:
                reason = f"{reason}; still held: {top[1]}"
        old, self._mode = self._mode, new
        return ModeChanged(at=self._clock(), old=old, new=new, reason=reason, source=source)
