"""provider-orbstack: the testing tier. OrbStack machines through `orb`, or a SQLite sim of them; chaos."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provider_core.author import lazy_exports
from provider_orbstack._catalog import REGIONS, SIZES, Size
from provider_orbstack._registration import CAPABILITIES
from provider_orbstack._settings import OrbStackSettings
from provider_orbstack._types import OrbStackInstance
from provider_orbstack.testing import test_double

if TYPE_CHECKING:
    from provider_orbstack._provider import OrbStackProvider


# Discovery imports this package for the registration: the provider module loads on first use.
__getattr__ = lazy_exports(__name__, {"OrbStackProvider": "provider_orbstack._provider:OrbStackProvider"})


__all__ = [
    "CAPABILITIES",
    "REGIONS",
    "SIZES",
    "OrbStackInstance",
    "OrbStackProvider",
    "OrbStackSettings",
    "Size",
    "test_double",
]
