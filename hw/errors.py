"""Errors of the hardware layer (kill switch, LEDs, pin factory).

::

    HwError(OperationalError)        the hardware layer cannot do its job: logged, alerted
    ├── PinFactoryUnavailable        no usable GPIO backend (on a Pi: lgpio missing or refused)
    └── PinConflict(ValueError)      two devices were given the same BCM pin

On a Raspberry Pi a missing GPIO backend stops the supervisor: running without a working kill
switch would be unsafe. Off a Pi the mock factory is used instead (see :mod:`hw.pins`).
"""

from __future__ import annotations

from appliance.errors import OperationalError

__all__ = ["HwError", "PinConflict", "PinFactoryUnavailable"]


class HwError(OperationalError):
    """The hardware layer failed; the supervisor stops and alerts."""


class PinFactoryUnavailable(HwError):
    """No usable gpiozero pin factory (the message names the backend and why)."""


class PinConflict(HwError, ValueError):
    """The same BCM pin was given to two devices."""
