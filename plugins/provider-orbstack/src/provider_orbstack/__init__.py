"""provider-orbstack: the testing tier. OrbStack machines through `orb`, or a SQLite sim of them; chaos."""

from provider_orbstack._catalog import REGIONS, SIZES, Size
from provider_orbstack._provider import CAPABILITIES, OrbStackProvider
from provider_orbstack._types import OrbStackInstance
from provider_orbstack.testing import test_double

__all__ = ["CAPABILITIES", "REGIONS", "SIZES", "OrbStackInstance", "OrbStackProvider", "Size", "test_double"]
