"""Capability flags and tiers (the methods a flag adds are in the method table, _methods.py)."""

from __future__ import annotations

from enum import StrEnum

from attrs import field, fields, frozen

from provider_core._validate import of_type


class Tier(StrEnum):
    TESTING = "testing"
    ADDITIONAL = "additional"
    REFERENCE = "reference"


@frozen
class Capabilities:
    """The 11 seed flags; a false flag means the provider rejects the matching input with INVALID_SPEC."""

    snapshots: bool = field(default=False, validator=of_type(bool))
    spot: bool = field(default=False, validator=of_type(bool))
    gpu: bool = field(default=False, validator=of_type(bool))
    multi_region: bool = field(default=False, validator=of_type(bool))
    persistent_volumes: bool = field(default=False, validator=of_type(bool))
    warm_volumes: bool = field(default=False, validator=of_type(bool))
    hibernation: bool = field(default=False, validator=of_type(bool))
    cost_explorer: bool = field(default=False, validator=of_type(bool))
    tailscale_native: bool = field(default=False, validator=of_type(bool))
    idempotent_spawn: bool = field(default=False, validator=of_type(bool))
    custom_networking: bool = field(default=False, validator=of_type(bool))

    @classmethod
    def flag_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def enabled(self) -> tuple[str, ...]:
        return tuple(name for name in self.flag_names() if getattr(self, name))
