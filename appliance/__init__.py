"""arb-appliance: the supervisor side (config, chain I/O, market, strategy, risk, execution, store).

Kept import-light on purpose: ``import appliance`` pulls in nothing heavy, so the status screen can
use :mod:`appliance.store` read-only helpers without importing trading code.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
