"""provider-orbstack: the testing tier. OrbStack machines through `orb`, or a SQLite sim of them; chaos."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provider_orbstack._catalog import REGIONS, SIZES, Size
from provider_orbstack._registration import CAPABILITIES
from provider_orbstack._settings import OrbStackSettings
from provider_orbstack._types import OrbStackInstance
from provider_orbstack.testing import test_double

if TYPE_CHECKING:
    from provider_orbstack._provider import OrbStackProvider


def __getattr__(name: str) -> Any:
    # Discovery imports this package for the registration and the chaos plugin: the provider module
    # (both backends, subprocess, sqlite3) loads only when someone asks for the provider class.
    if name == "OrbStackProvider":
        from provider_orbstack._provider import OrbStackProvider

        return OrbStackProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
