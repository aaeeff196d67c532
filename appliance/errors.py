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

__all__ = ["ApplianceError", "OperationalError", "ToolMissing", "UserError"]


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
