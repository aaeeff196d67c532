"""The root of every error the supervisor raises on purpose.

::

    ApplianceError                 anything raised on purpose by `appliance`
    ├── UserError                  bad input from the operator: one line on stderr, exit code 2
    │   ├── ConfigError            (appliance.config) a key in the TOML file is wrong
    │   └── ToolMissing            a needed external tool (node, npm, anvil) is absent
    └── OperationalError           the appliance cannot go on: logged, alerted, exit code 1

Each package below `appliance` has its own family rooted here (``chain.errors.ChainError``,
``store.errors.StoreError``, ...). Messages quote the offending value.
"""

from __future__ import annotations

__all__ = [
    "ApplianceError",
    "OperationalError",
    "ToolMissing",
    "UserError",
    "first_appliance_error",
]


class ApplianceError(Exception):
    """Base of all deliberate errors. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class UserError(ApplianceError):
    """The operator's input is wrong; the message alone tells them what to fix."""

    exit_code = 2


class ToolMissing(UserError):
    """An external program the command needs is not installed."""


class OperationalError(ApplianceError):
    """The appliance cannot continue; the supervisor stops and alerts."""


def first_appliance_error(exc: BaseException) -> BaseException:
    """The first ApplianceError (or KeyboardInterrupt) inside nested exception groups, else ``exc``.

    Trio nurseries wrap a child's error in an ExceptionGroup; the CLI wants the operator-facing
    error inside it, to print its one line instead of a traceback.
    """
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = first_appliance_error(inner)
            if isinstance(found, (ApplianceError, KeyboardInterrupt)):
                return found
    return exc
