"""The contract compliance suite, shipped as a pytest plugin.

Run it with `pytest --pyargs provider_core.testing --provider NAME` (see core/README.md). These helpers
are public for provider-specific contracts; `sweep` is re-exported from the core for convenience.
"""

from provider_core import SweepError, sweep
from provider_core.testing._tools import NAME_PREFIX, RUN_TAG, eventually, is_alive, requires, unknown_id

__all__ = [
    "NAME_PREFIX",
    "RUN_TAG",
    "SweepError",
    "eventually",
    "is_alive",
    "requires",
    "sweep",
    "unknown_id",
]
